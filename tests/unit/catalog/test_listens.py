"""Listening-history readers (ListenBrainz, Last.fm), one test per bad input, and the matching helpers."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from app.catalog.listens import (
    implicit_stars,
    match_key,
    play_counts,
    read_lastfm_csv,
    read_listenbrainz,
    read_listens,
)
from app.domain.music import Listen
from tests.files import fails, write

DATA = Path(__file__).resolve().parents[2] / "data" / "listens"
MBID_A = "33333333-3333-4333-8333-333333333333"
MBID_B = "66666666-6666-4666-8666-666666666666"
GHAN_HEADER = "uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"
GHAN_ROW = '1612101900,"31 Jan 2021, 14:05",Radiohead,,OK Computer,,Airbag,\n'


def listen_line(artist: str = "A", track: str = "T", at: object = 1700000000, **extra: object) -> str:
    meta: dict[str, object] = {"artist_name": artist, "track_name": track, **extra}
    return json.dumps({"listened_at": at, "track_metadata": meta})


def make_zip(tmp_path: Path, members: dict[str, str | bytes]) -> Path:
    path = tmp_path / "listenbrainz_user_1.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path



# --- ListenBrainz: good files ----------------------------------------------------------------

def test_json_array_export():
    assert read_listenbrainz(DATA / "listens.json") == [
        Listen("Radiohead", "Airbag", "OK Computer", MBID_A, 1612101900.0),
        Listen("Björk", "Jóga", "", "44444444-4444-4444-8444-44444444444a", 1612102200.0),
        Listen("The Beatles", "Let It Be (Remastered 2009)", "", "", 1612102500.0),
    ]


def test_mbid_mapping_beats_additional_info_and_invalid_ones_are_dropped(tmp_path):
    mapped = {"recording_mbid": MBID_A}
    sent = {"recording_mbid": MBID_B}
    lines = [listen_line(mbid_mapping=mapped, additional_info=sent),
             listen_line(mbid_mapping={"recording_mbid": "not-a-uuid"}, additional_info=sent),
             listen_line(additional_info={"recording_mbid": MBID_A.upper()}),
             listen_line(additional_info={"recording_mbid": MBID_A + "0"}),
             listen_line(mbid_mapping=None, additional_info=None)]
    path = write(tmp_path, "l.jsonl", "\n".join(lines))
    assert [listen.recording_mbid for listen in read_listenbrainz(path)] == [MBID_A, MBID_B, MBID_A, "", ""]


def test_json_lines_export_skips_blank_lines():
    assert read_listenbrainz(DATA / "listens.jsonl") == [
        Listen("Massive Attack", "Teardrop", "Mezzanine", MBID_B, 1700000000.0),
        Listen("Portishead", "Roads", "", "77777777-7777-4777-8777-777777777777", 1700000300.0),
    ]


def test_json_lines_in_a_json_file_are_read_by_content(tmp_path):
    path = write(tmp_path, "export.json", listen_line("A", "One") + "\n" + listen_line("B", "Two") + "\n")
    assert [listen.title for listen in read_listenbrainz(path)] == ["One", "Two"]


def test_zip_export_reads_listens_members_in_calendar_order(tmp_path):
    path = make_zip(tmp_path, {
        "user.json": json.dumps({"user_id": 1, "username": "ada"}),
        "feedback.jsonl": json.dumps({"recording_mbid": MBID_A, "score": 1}) + "\n",
        "listens/2024/10.jsonl": listen_line(track="October") + "\n",
        "listens/2023/12.jsonl": listen_line(track="December") + "\n",
        "listens/2024/2.jsonl": listen_line(track="February") + "\n" + listen_line(track="Also February"),
    })
    assert [listen.title for listen in read_listenbrainz(path)] == [
        "December", "February", "Also February", "October"]


def test_read_listens_tells_formats_apart():
    assert read_listens(DATA / "listens.json")[0] == "listenbrainz"
    assert read_listens(DATA / "listens.jsonl")[0] == "listenbrainz"
    assert read_listens(DATA / "scrobbles.csv")[0] == "lastfm"


def test_read_listens_reads_a_zip(tmp_path):
    path = make_zip(tmp_path, {"listens/2024/1.jsonl": listen_line()})
    assert read_listens(path) == ("listenbrainz", [Listen("A", "T", "", "", 1700000000.0)])


# --- ListenBrainz: bad files -----------------------------------------------------------------

def test_broken_json_array_names_line_and_column(tmp_path):
    path = write(tmp_path, "l.json", "[\n" + listen_line() + ",\n" + '{"listened_at": 1 "x": 2}\n]')
    assert "column 19" in fails(read_listenbrainz, path, line=3, field=None)


def test_json_array_element_names_the_line_where_its_object_starts(tmp_path):
    second = json.dumps({"listened_at": 1, "track_metadata": {"artist_name": "A"}}, indent=2)
    path = write(tmp_path, "l.json", "[\n  " + listen_line() + ",\n\n" + second + "\n]\n")
    assert "is missing" in fails(read_listenbrainz, path, line=4, field="track_metadata.track_name")


def test_json_array_element_that_is_not_an_object(tmp_path):
    path = write(tmp_path, "l.json", "[\n" + listen_line() + ",\n[1, 2]\n]")
    assert "found a list" in fails(read_listenbrainz, path, line=3, field=None)


def test_broken_json_line(tmp_path):
    path = write(tmp_path, "l.jsonl", listen_line() + "\n" + listen_line()[:-5] + "\n")
    assert "invalid JSON" in fails(read_listenbrainz, path, line=2, field=None)


def test_json_line_that_is_not_an_object(tmp_path):
    path = write(tmp_path, "l.jsonl", listen_line() + "\n\n" + '"just text"\n')
    assert "found a string" in fails(read_listenbrainz, path, line=3, field=None)


def test_missing_track_name(tmp_path):
    path = write(tmp_path, "l.jsonl", listen_line() + "\n" + listen_line(track="  ") + "\n")
    fails(read_listenbrainz, path, line=2, field="track_metadata.track_name")


def test_missing_artist_name(tmp_path):
    line = json.dumps({"listened_at": 1, "track_metadata": {"track_name": "T"}})
    fails(read_listenbrainz, write(tmp_path, "l.jsonl", line), line=1, field="track_metadata.artist_name")


def test_missing_track_metadata(tmp_path):
    path = write(tmp_path, "l.jsonl", json.dumps({"listened_at": 1}))
    fails(read_listenbrainz, path, line=1, field="track_metadata")


@pytest.mark.parametrize(("at", "words"), [(None, "is missing"), ("2021-01-31", "found a string"),
                                           (True, "found true"), (-5, "not a Unix time"),
                                           (1700000000000, "milliseconds")])
def test_bad_listened_at(tmp_path, at, words):
    path = write(tmp_path, "l.jsonl", listen_line() + "\n" + listen_line(at=at) + "\n")
    assert words in fails(read_listenbrainz, path, line=2, field="listened_at")


def test_bad_listen_in_a_zip_names_the_member_and_line(tmp_path):
    path = make_zip(tmp_path, {"listens/2024/1.jsonl": listen_line(),
                               "listens/2024/2.jsonl": listen_line() + "\n" + listen_line(track="")})
    fails(read_listenbrainz, path, line=2, field="track_metadata.track_name",
          where="member listens/2024/2.jsonl")


def test_non_utf8_zip_member_names_the_member_and_line(tmp_path):
    bad = (listen_line() + "\n" + listen_line(track="Cafe")).encode("ascii").replace(b"Cafe", b"Caf\xe9")
    path = make_zip(tmp_path, {"listens/2024/1.jsonl": bad})
    assert "not UTF-8" in fails(read_listenbrainz, path, line=2, field=None, where="listens/2024/1.jsonl")


def test_zip_without_listens(tmp_path):
    path = make_zip(tmp_path, {"user.json": "{}", "feedback.jsonl": ""})
    assert "listens/*.jsonl" in fails(read_listenbrainz, path, line=None, field=None)


def test_file_that_is_not_a_zip(tmp_path):
    path = write(tmp_path, "export.zip", listen_line())
    assert "not a readable zip" in fails(read_listenbrainz, path, line=None, field=None)


def test_empty_listenbrainz_file(tmp_path):
    assert "empty" in fails(read_listenbrainz, write(tmp_path, "l.jsonl", "\n \n"), line=1, field=None)


def test_empty_json_array(tmp_path):
    assert "no listens" in fails(read_listenbrainz, write(tmp_path, "l.json", "[]"), line=1, field=None)


def test_non_utf8_listenbrainz_file(tmp_path):
    good = (listen_line() + "\n" + listen_line(artist="Bjork")).encode("ascii")
    path = write(tmp_path, "l.jsonl", good.replace(b"Bjork", b"Bj\xf6rk"))
    assert "not UTF-8" in fails(read_listenbrainz, path, line=2, field=None)


# --- Last.fm: good files ---------------------------------------------------------------------

def test_headered_lastfm_export():
    assert read_lastfm_csv(DATA / "scrobbles.csv") == [
        Listen("Radiohead", "Airbag", "OK Computer", MBID_A, 1612101900.0),
        Listen("Björk", "Jóga", "", "", 1612102200.0),  # 'not-an-mbid' is dropped
    ]


def test_headerless_lastfm_export():
    assert read_lastfm_csv(DATA / "scrobbles_headerless.csv") == [
        Listen("Radiohead", "Airbag", "OK Computer", "", 1612101900.0),
        Listen("Crosby, Stills & Nash", "Helplessly Hoping", "Crosby Stills & Nash", "", 1612171800.0),
    ]


def test_header_in_any_order_case_and_synonyms(tmp_path):
    path = write(tmp_path, "s.csv", "Date,Title,Album_Name,Artist_Name\n"
                                    "2021-01-31T14:05:00Z,Airbag,OK Computer,Radiohead\n"
                                    "31 Jan 2021 14:10,Jóga,,Björk\n"
                                    ",No Time,,Someone\n")
    assert read_lastfm_csv(path) == [Listen("Radiohead", "Airbag", "OK Computer", "", 1612101900.0),
                                     Listen("Björk", "Jóga", "", "", 1612102200.0),
                                     Listen("Someone", "No Time", "", "", 0.0)]


def test_uts_is_preferred_to_the_minute_rounded_utc_time(tmp_path):
    path = write(tmp_path, "s.csv", GHAN_HEADER + GHAN_ROW.replace("1612101900", "1612101933"))
    assert read_lastfm_csv(path)[0].timestamp == 1612101933.0


# --- Last.fm: bad files ----------------------------------------------------------------------

def test_csv_row_missing_track(tmp_path):
    path = write(tmp_path, "s.csv", GHAN_HEADER + GHAN_ROW + GHAN_ROW.replace("Airbag", ""))
    fails(read_lastfm_csv, path, line=3, field="track")


def test_csv_row_missing_artist_names_the_column_as_written(tmp_path):
    path = write(tmp_path, "s.csv", "Artist,Track\nA,T\n ,T\n")
    fails(read_lastfm_csv, path, line=3, field="Artist")


def test_headerless_row_missing_track(tmp_path):
    path = write(tmp_path, "s.csv", "A,Album,T,31 Jan 2021 14:05\nA,Album,,31 Jan 2021 14:06\n")
    fails(read_lastfm_csv, path, line=2, field="track")


@pytest.mark.parametrize("date", ["yesterday", "31 Foo 2021 14:05", "31 Feb 2021 14:05"])
def test_bad_headerless_date(tmp_path, date):
    path = write(tmp_path, "s.csv", f"A,Album,T,31 Jan 2021 14:05\nA,Album,T,{date}\n")
    assert f"'{date}' is not a date" in fails(read_lastfm_csv, path, line=2, field="date")


def test_bad_utc_time(tmp_path):
    path = write(tmp_path, "s.csv", "artist,track,utc_time\nA,T,31/01/2021\n")
    fails(read_lastfm_csv, path, line=2, field="utc_time")


def test_uts_in_milliseconds(tmp_path):
    path = write(tmp_path, "s.csv", GHAN_HEADER + GHAN_ROW.replace("1612101900", "1612101900000"))
    assert "milliseconds" in fails(read_lastfm_csv, path, line=2, field="uts")


def test_header_without_a_track_column(tmp_path):
    path = write(tmp_path, "s.csv", "artist,album,uts\nA,B,1\n")
    fails(read_lastfm_csv, path, line=1, field="track")


def test_a_header_without_artist_and_track_names_both_and_what_it_has(tmp_path):
    path = write(tmp_path, "s.csv", "album,uts,plays\nB,1612101900,3\n")
    message = fails(read_lastfm_csv, path, line=1, field=None)
    assert "no artist or track column: found 'album', 'uts', 'plays'" in message
    assert "artist ('artist' or 'artist_name' or 'artist name')" in message


def test_neither_header_nor_four_columns(tmp_path):
    path = write(tmp_path, "s.csv", "A,B,C\n")
    assert "4 columns" in fails(read_lastfm_csv, path, line=1, field=None)


def test_headerless_row_with_the_wrong_number_of_fields(tmp_path):
    path = write(tmp_path, "s.csv", "A,Album,T,31 Jan 2021 14:05\nA,Album,T\n")
    assert "found 3" in fails(read_lastfm_csv, path, line=2, field=None)


@pytest.mark.parametrize("content", ["", "\n\n"])
def test_empty_csv(tmp_path, content):
    fails(read_lastfm_csv, write(tmp_path, "s.csv", content), line=1, field=None)


def test_header_only_csv(tmp_path):
    assert "no scrobbles" in fails(read_lastfm_csv, write(tmp_path, "s.csv", GHAN_HEADER), line=1, field=None)


def test_non_utf8_csv(tmp_path):
    path = write(tmp_path, "s.csv", (GHAN_HEADER + GHAN_ROW + GHAN_ROW.replace("Radiohead", "Björk"))
                 .encode("latin-1"))
    assert "not UTF-8" in fails(read_lastfm_csv, path, line=3, field=None)


def test_non_utf8_headerless_csv(tmp_path):
    path = write(tmp_path, "s.csv", "Bj\u00f6rk,Album,T,31 Jan 2021 14:05\n".encode("latin-1"))
    assert "not UTF-8" in fails(read_lastfm_csv, path, line=1, field=None)


def test_unsupported_extension(tmp_path):
    path = write(tmp_path, "history.xml", "<scrobbles/>")
    message = fails(lambda p: read_listens(p), path, line=None, field=None)
    assert "unsupported listening history format" in message and ".jsonl" in message


# --- matching --------------------------------------------------------------------------------

@pytest.mark.parametrize(("one", "other"), [
    (("The Beatles", "Let It Be"), ("Beatles", "let it be")),
    (("A", "Song (Remastered 2009)"), ("A", "Song")),
    (("A", "Song [Live] (Mono)"), ("A", "Song")),
    (("A", "Song - Remastered 2011"), ("A", "Song")),
    (("A", "Song - 2011 Remaster"), ("A", "Song")),
    (("Café Tacvba", "Café"), ("Cafe Tacvba", "Cafe")),
    (("A", "Song feat. X"), ("A", "Song")),
    (("A", "Song (ft. X & Y)"), ("A", "Song")),
    (("A featuring X", "Song"), ("A", "Song")),
    (("R.E.M.", "Don’t Go Back"), ("REM", "Dont Go Back")),
    (("Simon & Garfunkel", "Jay-Z"), ("Simon and Garfunkel", "jay z")),
])
def test_match_key_equal(one, other):
    assert match_key(*one) == match_key(*other)


@pytest.mark.parametrize(("one", "other"), [
    (("Little Feat", "Feat of Strength"), ("Little", "of Strength")),  # "feat" without a dot is a word
    (("A", "Part 1 - The Beginning"), ("A", "Part 1")),  # a dash suffix goes only when it names a version
    (("A", "Song"), ("B", "Song")),
])
def test_match_key_different(one, other):
    assert match_key(*one) != match_key(*other)


def test_match_key_keeps_a_title_made_only_of_a_suffix():
    assert match_key("The The", "(Live)") == "the|live"


def test_play_counts_group_by_mbid_else_by_key():
    listens = [Listen("Radiohead", "Airbag", recording_mbid=MBID_A, timestamp=10.0),
               Listen("Radiohead", "Airbag (Remastered)", recording_mbid=MBID_A, timestamp=30.0),
               Listen("The Beatles", "Let It Be", timestamp=20.0),
               Listen("Beatles", "Let It Be - Remastered 2009", timestamp=5.0),
               Listen("Björk", "Jóga")]
    assert play_counts(listens) == {f"mbid:{MBID_A}": (2, 30.0), "key:beatles|let it be": (2, 20.0),
                                    "key:bjork|joga": (1, 0.0)}
    assert play_counts([]) == {}


@pytest.mark.parametrize(("plays", "stars"), [(1, 3.0), (2, 4.0), (4, 4.0), (5, 5.0), (500, 5.0)])
def test_implicit_stars(plays, stars):
    assert implicit_stars(plays) == stars


@pytest.mark.parametrize("plays", [0, -1])
def test_implicit_stars_needs_a_play(plays):
    with pytest.raises(ValueError):
        implicit_stars(plays)
