# Sign Windows executables with Authenticode (signtool, SHA-256, RFC 3161 timestamp).
#
#   pwsh -NoProfile -File packaging\windows\sign.ps1 dist\chat-rec\chat-rec.exe dist\chat-rec-0.1.0-windows-x64-setup.exe
#
# chat-rec.nsi calls it when CHATREC_WINDOWS_SIGN=1: on the app's executables before packing them, on
# the uninstaller and on the finished installer. It reads the certificate from the environment:
#   WINDOWS_CERTIFICATE_PFX_BASE64  the code-signing certificate and key, a .pfx in base64
#   WINDOWS_CERTIFICATE_PASSWORD    its password
#   WINDOWS_TIMESTAMP_URL           optional, the RFC 3161 timestamp server (default DigiCert's)
# When either secret is missing it prints "signing skipped: <the missing ones>" and exits 0, so builds
# without the secrets (pull requests, forks, a developer's machine) still pass.
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true, ValueFromRemainingArguments = $true)]
    [string[]] $Files
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$missing = @('WINDOWS_CERTIFICATE_PFX_BASE64', 'WINDOWS_CERTIFICATE_PASSWORD') |
    Where-Object { -not [Environment]::GetEnvironmentVariable($_) }
if ($missing) {
    Write-Host "signing skipped: $($missing -join ' ') not set"
    exit 0
}

foreach ($file in $Files) {
    if (-not (Test-Path -LiteralPath $file -PathType Leaf)) {
        Write-Error "sign: $file does not exist"
    }
}

function Find-SignTool {
    $onPath = Get-Command signtool.exe -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    $kits = Join-Path ${env:ProgramFiles(x86)} 'Windows Kits\10\bin'
    $found = Get-ChildItem -Path $kits -Filter signtool.exe -Recurse -ErrorAction SilentlyContinue |
        Where-Object { $_.Directory.Name -eq 'x64' } |
        Sort-Object -Descending {
            # bin\10.0.22621.0\x64\signtool.exe: the newest SDK first (an old bin\x64 layout last)
            if ($_.Directory.Parent.Name -match '^\d+(\.\d+)+$') { [version]$_.Directory.Parent.Name } else { [version]'0.0' }
        } |
        Select-Object -First 1
    if (-not $found) { throw "sign: signtool.exe not found: install the Windows 10/11 SDK's signing tools" }
    return $found.FullName
}

$signtool = Find-SignTool
$timestamp = if ($env:WINDOWS_TIMESTAMP_URL) { $env:WINDOWS_TIMESTAMP_URL } else { 'http://timestamp.digicert.com' }
$pfx = Join-Path ([IO.Path]::GetTempPath()) ("chat-rec-" + [guid]::NewGuid().ToString('N') + '.pfx')
try {
    try {
        [IO.File]::WriteAllBytes($pfx, [Convert]::FromBase64String($env:WINDOWS_CERTIFICATE_PFX_BASE64))
    } catch {
        throw 'sign: WINDOWS_CERTIFICATE_PFX_BASE64 is not valid base64'
    }
    foreach ($file in $Files) {
        # Timestamp servers fail now and then: try a few times.
        $signed = $false
        for ($attempt = 1; $attempt -le 4 -and -not $signed; $attempt++) {
            & $signtool sign /f $pfx /p $env:WINDOWS_CERTIFICATE_PASSWORD /fd SHA256 /tr $timestamp /td SHA256 `
                /d 'Chat-Rec' $file
            if ($LASTEXITCODE -eq 0) {
                $signed = $true
            } else {
                Write-Warning "sign: signtool failed on $file (attempt $attempt)"
                Start-Sleep -Seconds (5 * $attempt)
            }
        }
        if (-not $signed) { throw "sign: could not sign $file" }
        & $signtool verify /pa /q $file
        if ($LASTEXITCODE -ne 0) { throw "sign: the signature of $file does not verify" }
        Write-Host "signed: $file"
    }
} finally {
    Remove-Item -LiteralPath $pfx -Force -ErrorAction SilentlyContinue
}
