from app.domain.recommendation import Driver, ScoreBreakdown, ScorePart
from app.services.explain import reasons_for


def breakdown(*drivers: Driver) -> ScoreBreakdown:
    return ScoreBreakdown((ScorePart("collaborative", 0.9, 0.7), ScorePart("query", 0.8, 0.2),
                           ScorePart("popularity", 0.1, 0.1)), drivers)


def test_reasons_follow_the_largest_parts_and_name_the_drivers() -> None:
    reasons = reasons_for(breakdown(Driver("m:1", "Fargo", 5, 0.7), Driver("m:2", "Heat", 4, 0.5)),
                          query="dark crime", predicted_stars=4.26, raters=120)
    assert reasons == ("because you rated Fargo 5★, Heat 4★", "matches \u201cdark crime\u201d",
                       "we think you would give it 4.3★")


def test_a_weakly_similar_driver_is_not_named() -> None:
    reasons = reasons_for(breakdown(Driver("p:1", "Coffee Grinder", 5, 0.1)))
    assert reasons[0] == "people with tastes like yours rated it highly"


def test_parts_that_barely_count_are_not_worth_a_sentence() -> None:
    tiny = ScoreBreakdown((ScorePart("collaborative", 1.0, 0.99), ScorePart("popularity", 0.01, 0.01)))
    assert reasons_for(tiny, raters=500) == ("people with tastes like yours rated it highly",)


def test_sound_reason_names_what_is_alike() -> None:
    from app.domain.music import AudioDescriptors
    from app.domain.recommendation import SoundMatch
    from app.services.explain import sound_reason

    this = AudioDescriptors(128, "high", "bright", "A", "minor")
    other = AudioDescriptors(124, "high", "bright", "E", "minor")
    assert sound_reason(SoundMatch("x", "X", 5.0, 0.9, this, other)) == (
        "similar tempo (128 vs 124 BPM) and bright, energetic sound, like X you rated 5★")
    far = AudioDescriptors(70, "low", "dark", "A", "minor")
    assert sound_reason(SoundMatch("x", "X", None, 0.4, this, far)) == "the same key (A minor), like X"
    unlike = AudioDescriptors(70, "low", "dark", "C", "major")
    assert sound_reason(SoundMatch("x", "X", None, 0.3, this, unlike)) == (
        "a close overall sound (timbre and harmony), like X")
