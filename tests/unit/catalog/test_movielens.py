import importlib.util
from pathlib import Path

import pytest

from app.catalog.movielens import movie_id, read_movielens
from app.domain.errors import InputError

ITEMS = ("item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
         "1\tToy Story\t1995\tAnimation Children's Comedy\n"
         "2\tFargo\t1996\tCrime Drama Thriller\n"
         "3\tLand Before Time III (1995)\tV\tAnimation\n"
         "4\tunkonwn\tunkonwn\tunknown\n")
USERS = "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n1\t24\tM\ttechnician\t85711\n"
RATINGS_HEADER = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"


def write_release(folder: Path, ratings: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ml-100k.item").write_text(ITEMS, encoding="utf-8")
    (folder / "ml-100k.user").write_text(USERS, encoding="utf-8")
    (folder / "ml-100k.inter").write_text(RATINGS_HEADER + ratings, encoding="utf-8")
    return folder


def test_a_small_release_reads_into_items_users_and_ratings(tmp_path: Path) -> None:
    data = read_movielens("100k", write_release(tmp_path, "1\t2\t5\t881250949\n1\t1\t3\t881250950\n"))
    assert [i.id for i in data.items] == ["movie:toy-story-1995", "movie:fargo-1996",
                                          "movie:land-before-time-iii-1995", "movie:unkonwn"]
    assert data.items[1].genres == ("Crime", "Drama", "Thriller")
    assert data.items[2].year == 1995  # the broken year field, recovered from the title
    assert data.items[3].year is None
    assert data.users[0].id == "ml:1" and data.users[0].attributes["occupation"] == "technician"
    assert data.ratings == [("ml:1", "movie:fargo-1996", 5.0, 881250949.0),
                            ("ml:1", "movie:toy-story-1995", 3.0, 881250950.0)]


def test_movie_ids_are_the_same_in_both_releases() -> None:
    assert movie_id("Toy Story", 1995) == "movie:toy-story-1995"
    assert movie_id("Usual Suspects, The", None) == "movie:usual-suspects-the"


@pytest.mark.parametrize(("row", "line", "field"), [
    ("1\t2\t7\t881250949\n", 3, "rating"),
    ("1\t99\t4\t881250949\n", 3, "item_id"),
    ("5\t2\t4\t881250949\n", 3, "user_id"),
    ("1\t2\tfour\t881250949\n", 3, "rating"),
    ("1\t2\t4\t-5\n", 3, "timestamp"),
])
def test_a_bad_rating_row_names_the_file_line_and_field(tmp_path: Path, row: str, line: int,
                                                        field: str) -> None:
    folder = write_release(tmp_path, "1\t1\t3\t881250950\n" + row)
    with pytest.raises(InputError) as caught:
        read_movielens("100k", folder)
    assert caught.value.file == str(folder / "ml-100k.inter")
    assert (caught.value.line, caught.value.field) == (line, field)
    assert f"line {line}" in str(caught.value) and f"field '{field}'" in str(caught.value)


def test_a_row_with_missing_columns_names_its_line(tmp_path: Path) -> None:
    folder = write_release(tmp_path, "1\t1\t3\n")
    with pytest.raises(InputError, match=r"ml-100k\.inter, line 2: expected 4 fields"):
        read_movielens("100k", folder)


def test_a_ratings_file_without_a_rating_column_is_a_header_problem(tmp_path: Path) -> None:
    folder = write_release(tmp_path, "1\t1\t3\t881250950\n")
    (folder / "ml-100k.inter").write_text("user_id:token\titem_id:token\tstars:float\ttimestamp:float\n"
                                          "1\t1\t3\t881250950\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"ml-100k\.inter, line 1: the header row has no rating column") as caught:
        read_movielens("100k", folder)
    assert caught.value.field is None


def test_an_unknown_size_is_refused() -> None:
    with pytest.raises(InputError, match="unknown MovieLens size '10m'"):
        read_movielens("10m")


@pytest.mark.integration
@pytest.mark.skipif(importlib.util.find_spec("recbole") is None, reason="recbole data not installed")
def test_the_real_100k_release_has_its_published_counts() -> None:
    data = read_movielens("100k")
    assert (len(data.items), len(data.users), len(data.ratings)) == (1682, 943, 100_000)


@pytest.mark.parametrize(("filed", "said"), [
    ("Usual Suspects, The", "The Usual Suspects"),
    ("Shawshank Redemption, The (1994)", "The Shawshank Redemption (1994)"),
    ("Cité des enfants perdus, La", "La Cité des enfants perdus"),
    ("Appartement, L'", "L'Appartement"),
    ("Fargo", "Fargo"),
])
def test_titles_read_the_way_people_say_them(filed: str, said: str) -> None:
    from app.catalog.movielens import readable_title

    assert readable_title(filed) == said
