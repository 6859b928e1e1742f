"""MovieLens releases as GroupLens publishes them: their names, the terms shown before a download, and
what the user is told about one."""

from __future__ import annotations

from dataclasses import dataclass

RELEASES = ("ml-latest-small", "ml-100k", "ml-1m", "ml-25m", "ml-32m", "ml-latest")
TERMS = ("MovieLens data is published by GroupLens Research (University of Minnesota) for research and "
         "personal use: you may not redistribute it or use it commercially without their permission, and "
         "publications using it must cite F. M. Harper and J. A. Konstan, 'The MovieLens Datasets: History and "
         "Context', ACM TiiS 5(4), 2015. It is downloaded to this computer only.")


@dataclass(frozen=True)
class ReleaseInfo:
    """What the user is shown before agreeing: the release, where it comes from and how big it is."""

    release: str
    url: str
    size_bytes: int | None  # None when the server does not say
