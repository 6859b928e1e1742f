"""Product catalogue and rating readers: the shipped sample, CSV/JSON parity, and one test per bad input."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from app.catalog.products import read_product_ratings, read_products, sample_catalogue_paths, slugify
from app.domain.items import Item
from tests.files import fails, write

DATA = Path(__file__).resolve().parents[2] / "data" / "products"
GOOD_HEADER = "id,title,description,category,price,tags,brand,year\n"
GOOD_ROW = "good,Good Thing,Fine.,kitchen,10,a;b,,\n"
KNOWN = {"product:tent", "product:grinder"}



def ratings_of(known: set[str]) -> Callable[[Path], object]:
    return lambda path: read_product_ratings(path, known)


# --- the shipped sample ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample() -> tuple[list[Item], list[tuple[str, str, float]]]:
    products_path, ratings_path = sample_catalogue_paths()
    items = read_products(products_path)
    ratings = read_product_ratings(ratings_path, {item.id for item in items})
    return items, [(r.user_id, r.item_id, r.stars or 0.0) for r in ratings]


def test_sample_has_about_a_hundred_products_with_unique_ids(sample):
    items, _ = sample
    assert 90 <= len(items) <= 110
    assert len({item.id for item in items}) == len(items)
    assert all(item.domain == "product" and item.id.startswith("product:") for item in items)
    assert all(item.description and float(item.attributes["price"]) >= 0 for item in items)
    assert all(2 <= len(item.genres) - 1 <= 6 for item in items)  # category plus 2-6 tags


def test_sample_categories_each_hold_products(sample):
    items, _ = sample
    per_category = Counter(item.attributes["category"] for item in items)
    assert 8 <= len(per_category) <= 10
    assert min(per_category.values()) >= 5
    assert all(item.genres[0] == item.attributes["category"] for item in items)


def test_sample_ratings_refer_to_known_items_and_every_shopper_rates_ten(sample):
    items, ratings = sample
    known = {item.id for item in items}
    assert {item for _, item, _ in ratings} <= known
    per_user = Counter(user for user, _, _ in ratings)
    assert 35 <= len(per_user) <= 45
    assert min(per_user.values()) >= 10
    assert all(user.startswith("shop:") for user in per_user)
    assert {stars for _, _, stars in ratings} <= {1.0, 2.0, 3.0, 4.0, 5.0}


def test_sample_paths_follow_a_frozen_build(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    products, ratings = sample_catalogue_paths()
    assert products == tmp_path / "resources" / "samples" / "products.json"
    assert ratings == tmp_path / "resources" / "samples" / "product_ratings.csv"


# --- good files -----------------------------------------------------------------------------

def test_csv_and_json_give_the_same_items():
    from_csv = read_products(DATA / "five.csv")
    from_json = read_products(DATA / "five.json")
    assert [replace(item, source="") for item in from_csv] == [replace(item, source="") for item in from_json]
    tent, grinder, mixer, game, guide = from_csv
    assert tent == Item(id="product:tent-2p", domain="product", title="Two-Person Tent",
                        creators=("Fjellbrook",), year=2023,
                        genres=("outdoor & camping", "tent", "waterproof", "backpacking"),
                        description="A light, waterproof tent for two.", source=str(DATA / "five.csv"),
                        attributes={"price": "199.90", "category": "outdoor & camping"})
    assert grinder.id == "product:hand-coffee-grinder"  # no id: a slug of the title
    assert grinder.creators == () and grinder.year is None
    assert mixer.attributes["price"] == "299.50"
    assert game.genres == ("board games", "party", "kitchen")
    assert guide.id == "product:free-guide" and guide.genres == ("coffee",)
    assert guide.attributes["price"] == "0.00"  # free is a price, not a missing one


def test_tsv_and_a_bare_json_array_are_read(tmp_path):
    tsv = write(tmp_path, "p.TSV", "title\tcategory\tprice\ttags\nLamp\thome office\t5.5\tlight|desk\n")
    assert read_products(tsv)[0].genres == ("home office", "light", "desk")
    bare = write(tmp_path, "p.json", json.dumps([{"title": "Lamp", "category": "home office", "price": 5}]))
    assert read_products(bare)[0].id == "product:lamp"


def test_ratings_accept_ids_with_or_without_prefix_and_no_timestamp():
    items = read_products(DATA / "five.csv")
    ratings = read_product_ratings(DATA / "five_ratings.csv", {item.id for item in items})
    assert [(r.user_id, r.item_id, r.stars, r.timestamp) for r in ratings] == [
        ("shop:ada", "product:tent-2p", 5.0, 1700000000.0),
        ("shop:ada", "product:hand-coffee-grinder", 4.0, 0.0),
        ("shop:bo", "product:mixer", 1.5, 1700000100.0),
    ]


def test_slugs_are_stable_ascii():
    assert slugify("  Café Crème 1 L!  ") == "cafe-creme-1-l"
    assert slugify("東京") == slugify("東京")
    assert slugify("東京").startswith("p-")
    assert len(slugify("word " * 50)) <= 60


# --- bad catalogues: one test per failure -----------------------------------------------------

def test_missing_title(tmp_path):
    path = write(tmp_path, "p.csv", GOOD_HEADER + GOOD_ROW + "x,,Fine.,kitchen,10,a,,\n")
    fails(read_products, path, line=3, field="title")


@pytest.mark.parametrize(("name", "header", "row"), [
    ("p.csv", "id,name,category,price\n", "k,Kettle,kitchen,10\n"),
    ("p.tsv", "id\tname\tcategory\tprice\n", "k\tKettle\tkitchen\t10\n"),
], ids=["csv", "tsv"])
def test_a_catalogue_without_a_title_column_is_a_header_problem_on_line_1(tmp_path, name, header, row):
    message = fails(read_products, write(tmp_path, name, header + row * 3), line=1, field=None)
    assert "the header row has no title column" in message
    assert "found 'id', 'name', 'category', 'price'; required: title, category, price" in message


def test_every_column_a_catalogue_lacks_is_named_at_once(tmp_path):
    message = fails(read_products, write(tmp_path, "p.csv", "name,cost\nKettle,10\n"), line=1, field=None)
    assert "no title or category or price column: found 'name', 'cost'" in message


def test_empty_title_in_json_names_the_line_of_the_field(tmp_path):
    path = write(tmp_path, "p.json", '[\n {"title": "Ok", "category": "c", "price": 1},\n'
                                     ' {"category": "c",\n  "price": 2,\n  "title": "  "}\n]\n')
    fails(read_products, path, line=5, field="title")


def test_price_not_a_number(tmp_path):
    path = write(tmp_path, "p.csv", GOOD_HEADER + GOOD_ROW + "x,X,Fine.,kitchen,ten euros,a,,\n")
    assert "'ten euros' is not a number" in fails(read_products, path, line=3, field="price")


def test_price_negative(tmp_path):
    path = write(tmp_path, "p.csv", GOOD_HEADER + GOOD_ROW + GOOD_ROW.replace("good", "bad") +
                 "x,X,Fine.,kitchen,-3,a,,\n")
    assert "negative" in fails(read_products, path, line=4, field="price")


def test_price_of_the_wrong_json_type(tmp_path):
    path = write(tmp_path, "p.json", '[{"title": "X", "category": "c",\n "price": [1]}]')
    assert "found a list" in fails(read_products, path, line=2, field="price")


def test_year_implausible(tmp_path):
    path = write(tmp_path, "p.csv", GOOD_HEADER + GOOD_ROW + "x,X,Fine.,kitchen,10,a,,20233\n")
    assert "not a plausible year" in fails(read_products, path, line=3, field="year")


def test_tags_of_the_wrong_type_in_json(tmp_path):
    path = write(tmp_path, "p.json", '[{"title": "X", "category": "c", "price": 1,\n'
                                     '  "tags": "quiet;waterproof"}]')
    assert "must be a list of strings" in fails(read_products, path, line=2, field="tags")


def test_a_tag_that_is_not_a_string(tmp_path):
    path = write(tmp_path, "p.json", '[{"title": "X", "category": "c", "price": 1, "tags": ["a", 7]}]')
    assert "tag 2 is a number" in fails(read_products, path, line=1, field="tags")


def test_unknown_file_extension(tmp_path):
    path = write(tmp_path, "products.xlsx", GOOD_HEADER + GOOD_ROW)
    assert ".csv, .tsv or .json" in fails(read_products, path, line=None, field=None)


def test_invalid_json_uses_the_decoder_line(tmp_path):
    path = write(tmp_path, "p.json", '[\n {"title": "X", "category": "c", "price": 1},\n'
                                     ' {"title": "Y" "price": 2}\n]\n')
    assert "invalid JSON" in fails(read_products, path, line=3, field=None)


def test_json_element_that_is_not_an_object(tmp_path):
    path = write(tmp_path, "p.json", '{"products": [\n  {"title": "X", "category": "c", "price": 1},\n\n'
                                     '  "just a string"\n]}')
    assert "found a string" in fails(read_products, path, line=4, field=None)


def test_json_products_that_are_not_an_array(tmp_path):
    path = write(tmp_path, "p.json", '{\n "products":\n  {"title": "X"}\n}')
    fails(read_products, path, line=3, field="products")


def test_non_utf8_bytes_name_their_line(tmp_path):
    path = write(tmp_path, "p.csv", (GOOD_HEADER + GOOD_ROW + GOOD_ROW).encode() + b"x,Caf\xe9,,c,1,,,\n")
    assert "not UTF-8" in fails(read_products, path, line=4, field=None)


def test_empty_file(tmp_path):
    path = write(tmp_path, "p.json", "  \n")
    assert "empty" in fails(read_products, path, line=1, field=None)


def test_header_without_rows(tmp_path):
    path = write(tmp_path, "p.csv", GOOD_HEADER)
    assert "no products" in fails(read_products, path, line=1, field=None)


def test_duplicate_ids_name_both_lines(tmp_path):
    path = write(tmp_path, "p.csv", GOOD_HEADER + GOOD_ROW + "other,Other,,c,1,,,\n" + GOOD_ROW)
    assert "already used on line 2" in fails(read_products, path, line=4, field="id")


def test_duplicate_slugs_from_titles_name_both_lines(tmp_path):
    path = write(tmp_path, "p.json", '[{"title": "Big Lamp", "category": "c", "price": 1},\n'
                                     ' {"title": "big lamp!", "category": "c", "price": 1}]')
    message = fails(read_products, path, line=2, field="title")
    assert "already used on line 1" in message and "product:big-lamp" in message


def test_malformed_explicit_id(tmp_path):
    path = write(tmp_path, "p.csv", GOOD_HEADER + "two words,X,,c,1,,,\n")
    fails(read_products, path, line=2, field="id")


# --- bad ratings ----------------------------------------------------------------------------

def test_rating_for_an_unknown_item(tmp_path):
    path = write(tmp_path, "r.csv", "user,item,stars,timestamp\nu,tent,5,1\nu,kayak,4,2\n")
    assert "unknown item 'kayak'" in fails(ratings_of(KNOWN), path, line=3, field="item")


def test_rating_without_a_user(tmp_path):
    path = write(tmp_path, "r.csv", "user,item,stars\nu,tent,5\n ,grinder,4\n")
    fails(ratings_of(KNOWN), path, line=3, field="user")


def test_stars_out_of_range(tmp_path):
    path = write(tmp_path, "r.csv", "user,item,stars\nu,tent,5\nu,grinder,6\n")
    assert "between 1 and 5" in fails(ratings_of(KNOWN), path, line=3, field="stars")


def test_stars_not_a_number(tmp_path):
    path = write(tmp_path, "r.csv", "user,item,stars\nu,product:tent,five\n")
    fails(ratings_of(KNOWN), path, line=2, field="stars")


def test_ratings_without_a_stars_column_are_a_header_problem_on_line_1(tmp_path):
    path = write(tmp_path, "r.csv", "user,item,rating\nu,tent,5\n")
    message = fails(ratings_of(KNOWN), path, line=1, field=None)
    assert "no stars column: found 'user', 'item', 'rating'; required: user, item, stars" in message


def test_timestamp_in_milliseconds(tmp_path):
    path = write(tmp_path, "r.csv", "user,item,stars,timestamp\nu,tent,5,1700000000000\n")
    fails(ratings_of(KNOWN), path, line=2, field="timestamp")


def test_ratings_with_bad_bytes_or_nothing_at_all(tmp_path):
    path = write(tmp_path, "r.csv", b"user,item,stars\nu,tent,5\nu\xff,grinder,4\n")
    fails(ratings_of(KNOWN), path, line=3, field=None)
    fails(ratings_of(KNOWN), write(tmp_path, "empty.csv", ""), line=1, field=None)
