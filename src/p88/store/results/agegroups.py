"""Age groups: the standard 5-year divisions, configurable.

The label carries no sex ('35-39'); placing groups by (sex, age_group), so "M35-39" in a
results listing is sex 'M' and age_group '35-39'. Ages below ``first`` share one
youngest group ('0-19' by default), ages from ``last`` up one oldest group ('80+').
"""

from __future__ import annotations

from dataclasses import dataclass

from p88.errors import InputError


@dataclass(frozen=True)
class AgeGroups:
    """Age-group boundaries: groups of ``width`` years from ``first`` to ``last``.

    >>> AgeGroups().label(37)
    '35-39'
    >>> AgeGroups().label(12), AgeGroups().label(84)
    ('0-19', '80+')
    >>> AgeGroups(width=10, first=20, last=70).label(45)
    '40-49'
    """

    width: int = 5
    first: int = 20
    last: int = 80

    def __post_init__(self) -> None:
        if self.width < 1 or self.first < 1 or self.last <= self.first:
            raise InputError(
                f"bad age groups: width={self.width}, first={self.first}, last={self.last}",
                hint="need width >= 1 and 1 <= first < last",
                what="age groups",
                where="--age-groups",
            )
        if (self.last - self.first) % self.width:
            raise InputError(
                f"age groups from {self.first} to {self.last} do not divide into "
                f"{self.width}-year groups",
                what="age groups",
                where="--age-groups",
            )

    def label(self, age: int | None) -> str | None:
        """The group of ``age`` (age on race day); None when the age is unknown."""
        if age is None:
            return None
        if age < self.first:
            return f"0-{self.first - 1}"
        if age >= self.last:
            return f"{self.last}+"
        low = self.first + (age - self.first) // self.width * self.width
        return f"{low}-{low + self.width - 1}"

    def labels(self) -> list[str]:
        """Every label, youngest first."""
        inner = [
            f"{low}-{low + self.width - 1}" for low in range(self.first, self.last, self.width)
        ]
        return [f"0-{self.first - 1}", *inner, f"{self.last}+"]

    @classmethod
    def parse(cls, spec: str) -> AgeGroups:
        """``'5'``, ``'5:20:80'`` (width:first:last) -> AgeGroups; for a CLI option."""
        try:
            parts = [int(p) for p in spec.split(":")]
        except ValueError:
            raise InputError(
                f"bad age groups {spec!r}",
                hint="use WIDTH or WIDTH:FIRST:LAST, e.g. 5:20:80",
                what="age groups",
                where="--age-groups",
            ) from None
        if len(parts) == 1:
            return cls(width=parts[0])
        if len(parts) == 3:
            return cls(width=parts[0], first=parts[1], last=parts[2])
        raise InputError(
            f"bad age groups {spec!r}",
            hint="use WIDTH or WIDTH:FIRST:LAST",
            what="age groups",
            where="--age-groups",
        )
