; The Chat-Rec installer for Windows (NSIS 3, Modern UI 2).
;
;   makensis -DVERSION=0.1.0 -DSOURCE_DIR=C:\...\dist\chat-rec -DOUTFILE=C:\...\dist\chat-rec-0.1.0-windows-x64-setup.exe ^
;            packaging\windows\chat-rec.nsi
;
; packaging/build.py runs it after PyInstaller. Pass absolute paths: makensis works from this script's
; folder, so a relative SOURCE_DIR or OUTFILE is taken from packaging\windows.
;
; What it does:
; - installs for the current user only, without administrator rights, into
;   %LOCALAPPDATA%\Programs\Chat-Rec (or the folder chosen on its page, or /D=...);
; - the whole one-folder build, a Start menu shortcut and, when ticked, a desktop shortcut;
; - registers its uninstaller in Apps & features (HKCU), with the size it takes;
; - checks for the Microsoft Visual C++ 2015-2022 runtime (x64): runs vc_redist.x64.exe when it was
;   put beside this script at build time, else says where to get it;
; - refuses to install over (or uninstall) a Chat-Rec that is running;
; - the uninstaller removes the program and its shortcuts and keeps the user's library, settings,
;   cache and logs (%LOCALAPPDATA%\chat-rec, where the app's platformdirs put them) unless
;   "Also remove my library, settings and cache" is ticked, or /PURGE is given to a silent uninstall.
;
; Silent use:  chat-rec-0.1.0-windows-x64-setup.exe /S [/NODESKTOP] [/D=C:\Some\Folder]   (/D= last, unquoted)
;              "%LOCALAPPDATA%\Programs\Chat-Rec\uninstall.exe" /S [/PURGE]
; Exit codes: 0 done, 1 cancelled, 2 refused (Chat-Rec running, unsuitable folder, unsupported Windows).
;
; Signing: with CHATREC_WINDOWS_SIGN=1 in the environment (or -DSIGN_CMD=...), the app's executables,
; the uninstaller and the finished installer are each passed to sign.ps1 (which skips, exiting 0, when
; the certificate secrets are not set).

Unicode true
ManifestDPIAware true
ManifestSupportedOS all

;--------------------------------------------------------------------------------------------------
; Build-time inputs

!ifndef VERSION
  !error "VERSION is not defined: makensis -DVERSION=0.1.0 -DSOURCE_DIR=<dist\chat-rec> -DOUTFILE=<setup.exe> chat-rec.nsi"
!endif
!ifndef SOURCE_DIR
  !error "SOURCE_DIR is not defined: pass -DSOURCE_DIR=<absolute path of the PyInstaller build, dist\chat-rec>"
!endif
!if ! /FileExists "${SOURCE_DIR}\*"
  !error "SOURCE_DIR ${SOURCE_DIR} does not exist (pass an absolute path; build the app first: python packaging/build.py)"
!endif
!if ! /FileExists "${SOURCE_DIR}\chat-rec.exe"
  !error "SOURCE_DIR ${SOURCE_DIR} has no chat-rec.exe: it is not a Windows build of Chat-Rec (python packaging/build.py makes one)"
!endif
!ifndef OUTFILE
  !define OUTFILE "chat-rec-${VERSION}-windows-x64-setup.exe"
!endif

; This script's folder. makensis changes into it before reading the script, and ${__FILEDIR__} is
; relative to where makensis was started: it is right only when it names this very file from here.
!if /FileExists "${__FILEDIR__}\${__FILE__}"
  !define HERE "${__FILEDIR__}"
!else
  !define HERE "."
!endif

!ifndef ICON
  !define ICON "${HERE}\..\..\resources\icons\chat-rec.ico"
!endif
!if ! /FileExists "${ICON}"
  !error "the installer's icon ${ICON} is missing (resources/icons/chat-rec.ico)"
!endif

!ifndef COMPRESSOR
  !define COMPRESSOR lzma  ; zlib is several times faster to build and a third bigger
!endif
SetCompressor /SOLID ${COMPRESSOR}
!if "${COMPRESSOR}" == "lzma"
  SetCompressorDictSize 64
!endif

;--------------------------------------------------------------------------------------------------
; Names

!define APP_NAME "Chat-Rec"
!define EXE "chat-rec.exe"
!define CLI_EXE "chatrec.exe"  ; the console twin (chatrec selftest, the command line)
!define PUBLISHER "The Chat-Rec contributors"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_NAME}"
!define UNINSTALLER "uninstall.exe"
; The app's own files: platformdirs.PlatformDirs("chat-rec", appauthor=False) on Windows puts data and
; settings in %LOCALAPPDATA%\chat-rec, its cache in ...\Cache and its logs in ...\Logs.
!define USER_DATA "$LOCALAPPDATA\chat-rec"
; Where a user drops extra models (a GGUF, a Whisper or a piper model): "models" beside the executable.
!define USER_MODELS "models"
!define VC_KEY "SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64"
!define VC_URL "https://aka.ms/vs/17/release/vc_redist.x64.exe"
!define ERROR_REFUSED 2

; X.Y.Z.0 for the version resource: "0.1.0rc1" gives 0.1.0.0
!searchparse /noerrors "${VERSION}.0.0" "" VER_MAJOR "." VER_MINOR "." VER_PATCH "."
!define /math VI_MAJOR "${VER_MAJOR}" + 0
!define /math VI_MINOR "${VER_MINOR}" + 0
!define /math VI_PATCH "${VER_PATCH}" + 0

Name "${APP_NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
RequestExecutionLevel user
BrandingText "${APP_NAME} ${VERSION}"
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${VI_MAJOR}.${VI_MINOR}.${VI_PATCH}.0"
VIFileVersion "${VI_MAJOR}.${VI_MINOR}.${VI_PATCH}.0"
VIAddVersionKey /LANG=0 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${APP_NAME} ${VERSION} Setup"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "MIT License, ${PUBLISHER}"

;--------------------------------------------------------------------------------------------------
; Signing (CI): the executables inside the build now, the uninstaller and the installer once written.

!ifndef SIGN_CMD
  !if "$%CHATREC_WINDOWS_SIGN%" == "1"
    !define SIGN_CMD 'pwsh -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "${HERE}\sign.ps1"'
  !endif
!endif
!ifdef SIGN_CMD
  !if /FileExists "${SOURCE_DIR}\${CLI_EXE}"
    !system '${SIGN_CMD} "${SOURCE_DIR}\${EXE}" "${SOURCE_DIR}\${CLI_EXE}"' = 0
  !else
    !system '${SIGN_CMD} "${SOURCE_DIR}\${EXE}"' = 0
  !endif
  !uninstfinalize '${SIGN_CMD} "%1"' = 0
  !finalize '${SIGN_CMD} "%1"' = 0
!endif

;--------------------------------------------------------------------------------------------------
; Pages

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "Sections.nsh"
!include "WinVer.nsh"
!include "x64.nsh"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_UNABORTWARNING
!define MUI_COMPONENTSPAGE_SMALLDESC

!define MUI_WELCOMEPAGE_TEXT "This will install ${APP_NAME} ${VERSION}, a recommender you talk to, for you alone: it needs no administrator rights.$\r$\n$\r$\nYour library, settings and models stay on this computer.$\r$\n$\r$\n$_CLICK"
!insertmacro MUI_PAGE_WELCOME
!if /FileExists "${HERE}\..\..\LICENSE"
  !insertmacro MUI_PAGE_LICENSE "${HERE}\..\..\LICENSE"
!endif
!insertmacro MUI_PAGE_COMPONENTS
!define MUI_PAGE_CUSTOMFUNCTION_LEAVE DirectoryLeave
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP_NAME}"
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

;--------------------------------------------------------------------------------------------------
; Helpers, for the installer and (un.) the uninstaller

; Sets $R0 to the name of a Chat-Rec executable in $INSTDIR that is running ("" when none is). A running
; program's .exe cannot be opened for writing on Windows, whoever started it and from wherever.
!macro _CHECK_IN_USE FILE
  ${If} $R0 == ""
  ${AndIf} ${FileExists} "$INSTDIR\${FILE}"
    ClearErrors
    FileOpen $0 "$INSTDIR\${FILE}" a
    ${If} ${Errors}
      StrCpy $R0 "${FILE}"
    ${Else}
      FileClose $0
    ${EndIf}
  ${EndIf}
!macroend

!macro HELPERS un
  Function ${un}FindRunning
    Push $0
    StrCpy $R0 ""
    !insertmacro _CHECK_IN_USE "${EXE}"
    !insertmacro _CHECK_IN_USE "${CLI_EXE}"
    Pop $0
  FunctionEnd

  ; Waits for Chat-Rec to be closed: $R0 is "" once it is, or the running executable's name when the user
  ; gave up (or at once in silent mode).
  Function ${un}WaitNotRunning
    ${Do}
      Call ${un}FindRunning
      ${If} $R0 == ""
        ${Break}
      ${EndIf}
      ${IfNot} ${Cmd} `MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "${APP_NAME} is running from$\r$\n$INSTDIR$\r$\n($R0).$\r$\n$\r$\nClose ${APP_NAME} (its window, and any chatrec command still running in a terminal), then click Retry." /SD IDCANCEL IDRETRY`
        ${Break}
      ${EndIf}
    ${Loop}
  FunctionEnd

  ; Removes the program from $INSTDIR: everything in it except the models folder, where a user may
  ; have put models of their own (only the "remove my library" option deletes those).
  Function ${un}RemoveProgramFiles
    Push $0
    Push $1
    ClearErrors
    FindFirst $0 $1 "$INSTDIR\*"
    ${DoWhile} $1 != ""
      ${If} $1 != "."
      ${AndIf} $1 != ".."
      ${AndIf} $1 != "${USER_MODELS}"
        ${If} ${FileExists} "$INSTDIR\$1\*"
          RMDir /r "$INSTDIR\$1"
        ${Else}
          Delete "$INSTDIR\$1"
        ${EndIf}
        ${If} ${FileExists} "$INSTDIR\$1"
          DetailPrint "Could not remove $INSTDIR\$1 (in use?)"
        ${EndIf}
      ${EndIf}
      FindNext $0 $1
    ${Loop}
    FindClose $0
    Pop $1
    Pop $0
  FunctionEnd
!macroend
!insertmacro HELPERS ""
!insertmacro HELPERS "un."

; $R0 = "ok" when $INSTDIR can take Chat-Rec: absent, empty, or an earlier Chat-Rec (which is replaced).
; The uninstaller deletes the program folder's contents, so a folder holding other things is refused.
Function CheckInstallDir
  Push $0
  Push $1
  StrCpy $R0 "ok"
  ${If} ${FileExists} "$INSTDIR\${EXE}"
  ${OrIfNot} ${FileExists} "$INSTDIR\*"
    Goto done
  ${EndIf}
  ClearErrors
  FindFirst $0 $1 "$INSTDIR\*"
  ${DoWhile} $1 != ""
    ${If} $1 != "."
    ${AndIf} $1 != ".."
      StrCpy $R0 "not empty"
      ${Break}
    ${EndIf}
    FindNext $0 $1
  ${Loop}
  FindClose $0
  done:
  Pop $1
  Pop $0
FunctionEnd

Function DirectoryLeave
  Call CheckInstallDir
  ${If} $R0 != "ok"
    MessageBox MB_OK|MB_ICONEXCLAMATION "$INSTDIR$\r$\nalready holds other files.$\r$\n$\r$\nChoose an empty or new folder: uninstalling ${APP_NAME} removes everything in its folder."
    Abort
  ${EndIf}
  Call WaitNotRunning
  ${If} $R0 != ""
    Abort
  ${EndIf}
FunctionEnd

; The Visual C++ 2015-2022 runtime (x64) is installed when its key says Installed=1, in the 64-bit or
; the 32-bit view of the registry (its installer writes one or the other). $R0 = 1 when it is.
Function VCRuntimeInstalled
  StrCpy $R0 ""
  SetRegView 64
  ReadRegDWORD $R0 HKLM "${VC_KEY}" "Installed"
  SetRegView 32
  ${If} $R0 != 1
    ReadRegDWORD $R0 HKLM "${VC_KEY}" "Installed"
  ${EndIf}
FunctionEnd

Function CheckVCRuntime
  Call VCRuntimeInstalled
  ${If} $R0 == 1
    DetailPrint "Microsoft Visual C++ runtime (x64): installed"
    Return
  ${EndIf}
!if /FileExists "${HERE}\vc_redist.x64.exe"
  DetailPrint "Installing the Microsoft Visual C++ 2015-2022 runtime (x64); Windows asks for permission"
  InitPluginsDir
  SetOutPath "$PLUGINSDIR"
  File "${HERE}\vc_redist.x64.exe"
  SetOutPath "$INSTDIR"
  ${If} ${Silent}
    StrCpy $1 "/install /quiet /norestart"
  ${Else}
    StrCpy $1 "/install /passive /norestart"
  ${EndIf}
  ClearErrors
  ExecWait '"$PLUGINSDIR\vc_redist.x64.exe" $1' $0
  ${If} ${Errors}
    StrCpy $0 "not started"
  ${EndIf}
  Delete "$PLUGINSDIR\vc_redist.x64.exe"
  ; 0 done, 3010 done (restart later), 1638 a newer one is already there
  ${If} $0 == 0
  ${OrIf} $0 == 3010
  ${OrIf} $0 == 1638
    DetailPrint "Microsoft Visual C++ runtime (x64): installed ($0)"
    Return
  ${EndIf}
  DetailPrint "The Microsoft Visual C++ runtime installer failed ($0)"
!endif
  DetailPrint "${APP_NAME} needs the Microsoft Visual C++ 2015-2022 Redistributable (x64): ${VC_URL}"
  ${If} ${Cmd} `MessageBox MB_YESNO|MB_ICONEXCLAMATION "${APP_NAME} needs the Microsoft Visual C++ 2015-2022 Redistributable (x64), which is not installed on this computer: ${APP_NAME} will not start without it.$\r$\n$\r$\nDownload it from Microsoft and run it:$\r$\n${VC_URL}$\r$\n$\r$\nOpen that address now?" /SD IDNO IDYES`
    ExecShell "open" "${VC_URL}"
  ${EndIf}
FunctionEnd

;--------------------------------------------------------------------------------------------------
; Installer

Section "${APP_NAME}" SEC_APP
  SectionIn RO
  Call WaitNotRunning  ; it may have been started since the folder was chosen
  ${If} $R0 != ""
    DetailPrint "${APP_NAME} is running ($R0): nothing was changed"
    SetErrorLevel ${ERROR_REFUSED}
    Abort
  ${EndIf}
  ${If} ${FileExists} "$INSTDIR\${EXE}"
    DetailPrint "Replacing the ${APP_NAME} in $INSTDIR (your library and settings are kept)"
    Call RemoveProgramFiles
  ${EndIf}

  SetOutPath "$INSTDIR"
  File /r "${SOURCE_DIR}\*"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  Delete "$DESKTOP\${APP_NAME}.lnk"  ; an earlier install's, made again below when still wanted
  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0 SW_SHOWNORMAL "" "${APP_NAME}: a recommender you talk to"

  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" $0

  Call CheckVCRuntime
SectionEnd

Section "Desktop shortcut" SEC_DESKTOP
  CreateShortcut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0 SW_SHOWNORMAL "" "${APP_NAME}: a recommender you talk to"
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_APP} "The app and its built-in models, with a Start menu shortcut."
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_DESKTOP} "A shortcut to ${APP_NAME} on the desktop."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

; after the sections, whose indexes it uses
Function .onInit
  SetShellVarContext current
  ${IfNot} ${AtLeastWin10}
  ${OrIfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "${APP_NAME} needs 64-bit Windows 10 or newer." /SD IDOK
    SetErrorLevel ${ERROR_REFUSED}
    Quit
  ${EndIf}
  ${If} ${Silent}  ; no pages: check the folder (/D= or the last install's) here
    Call CheckInstallDir
    ${If} $R0 != "ok"
      SetErrorLevel ${ERROR_REFUSED}
      Quit
    ${EndIf}
    Call WaitNotRunning
    ${If} $R0 != ""
      SetErrorLevel ${ERROR_REFUSED}
      Quit
    ${EndIf}
  ${EndIf}
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/NODESKTOP" $1
  ${IfNot} ${Errors}
    !insertmacro UnselectSection ${SEC_DESKTOP}
  ${EndIf}
FunctionEnd

;--------------------------------------------------------------------------------------------------
; Uninstaller

Section "un.${APP_NAME}" SEC_UN_APP
  SectionIn RO
  Call un.WaitNotRunning
  ${If} $R0 != ""
    DetailPrint "${APP_NAME} is running ($R0): nothing was removed"
    SetErrorLevel ${ERROR_REFUSED}
    Abort
  ${EndIf}
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  Delete "$DESKTOP\${APP_NAME}.lnk"
  Call un.RemoveProgramFiles
  DeleteRegKey HKCU "${UNINST_KEY}"
SectionEnd

Section /o "un.Also remove my library, settings and cache" SEC_UN_PURGE
  ${If} ${Cmd} `MessageBox MB_OKCANCEL|MB_ICONEXCLAMATION|MB_DEFBUTTON2 "This deletes your ${APP_NAME} library, conversations, settings, cache and logs in$\r$\n${USER_DATA}$\r$\nand the models you added in$\r$\n$INSTDIR\${USER_MODELS}$\r$\n$\r$\nIt cannot be undone." /SD IDOK IDOK`
    DetailPrint "Removing your library, settings and cache: ${USER_DATA}"
    RMDir /r "${USER_DATA}"
    RMDir /r "$INSTDIR\${USER_MODELS}"
  ${Else}
    DetailPrint "Kept your library, settings and cache in ${USER_DATA}"
  ${EndIf}
SectionEnd

Section "-un.Finish"
  RMDir "$INSTDIR\${USER_MODELS}"  ; only when empty
  RMDir "$INSTDIR"                 ; only when empty: your own models stay
  ${If} ${FileExists} "$INSTDIR\${USER_MODELS}\*"
    DetailPrint "Kept the models you added in $INSTDIR\${USER_MODELS}"
  ${EndIf}
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_UN_APP} "The program and its shortcuts."
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_UN_PURGE} "Also delete your library, conversations, settings, cache and logs (${USER_DATA}) and the models you added to the program's folder. Off: they stay for a later install."
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END

Function un.onInit
  SetShellVarContext current
  ; Refuse a folder that is not Chat-Rec's (an uninstall.exe copied elsewhere would empty that folder).
  ReadRegStr $0 HKCU "${UNINST_KEY}" "InstallLocation"
  ${IfNot} ${FileExists} "$INSTDIR\${EXE}"
  ${AndIf} $0 != $INSTDIR
    MessageBox MB_OK|MB_ICONSTOP "$INSTDIR does not hold ${APP_NAME}: nothing was removed." /SD IDOK
    SetErrorLevel ${ERROR_REFUSED}
    Quit
  ${EndIf}
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/PURGE" $1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SEC_UN_PURGE}
  ${EndIf}
FunctionEnd
