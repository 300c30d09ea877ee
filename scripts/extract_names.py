"""One-off: build the packaged name lists of the synthetic registrations from Faker's locales.

Run once (``python scripts/extract_names.py``); the CSVs it writes into
``src/darkfigure/linkage/data/`` are committed, so generating registrations never
needs Faker (``pip install "darkfigure[names]"``). Faker (MIT licence) ships name lists per locale; we take first names by
sex and surnames for origins plausible among presumed victims of trafficking in the
Netherlands: Dutch; EU (Polish, Romanian, Bulgarian, Hungarian, Slovak, Portuguese);
non-EU (Nigerian, Ukrainian, Vietnamese, Chinese, Brazilian, Indian, Ghanaian,
Turkish, Kenyan). Cyrillic names are transliterated as Dutch registrations would
write them (Ukrainian: Faker's national transliteration; Bulgarian: the official
Streamlined System of 2009).

Weights: Faker's own frequencies where it has them (Hungarian, British, Chinese
hanzi); otherwise a flattened Zipf law ``1 / (rank + 10)`` over an order in which a
few well-known most frequent names come first and the rest is shuffled with a fixed
seed. Name frequencies are heavy-tailed, which is what matters for linkage (common
names cause false matches); the exact values are invented.
"""

from __future__ import annotations

import csv
import random
from collections import OrderedDict
from pathlib import Path

import faker
from faker.providers.person import (
    bg_BG,
    en_IN,
    en_KE,
    en_NG,
    ha_NG,
    hu_HU,
    ig_NG,
    nl_NL,
    pl_PL,
    pt_BR,
    pt_PT,
    ro_RO,
    sk_SK,
    tr_TR,
    tw_GH,
    uk_UA,
    vi_VN,
    yo_NG,
    zh_CN,
)

OUT = Path(__file__).resolve().parents[1] / "src" / "darkfigure" / "linkage" / "data"
SEED = 20240501

# origin code, country, group, share within the group, Faker locales
ORIGINS = [
    ("NL", "Netherlands", "Dutch", 1.00, "nl_NL"),
    ("PL", "Poland", "EU", 0.32, "pl_PL"),
    ("RO", "Romania", "EU", 0.27, "ro_RO"),
    ("BG", "Bulgaria", "EU", 0.20, "bg_BG"),
    ("HU", "Hungary", "EU", 0.12, "hu_HU"),
    ("SK", "Slovakia", "EU", 0.05, "sk_SK"),
    ("PT", "Portugal", "EU", 0.04, "pt_PT"),
    ("NG", "Nigeria", "non-EU", 0.22, "en_NG yo_NG ig_NG ha_NG"),
    ("UA", "Ukraine", "non-EU", 0.18, "uk_UA"),
    ("VN", "Vietnam", "non-EU", 0.10, "vi_VN"),
    ("CN", "China", "non-EU", 0.10, "zh_CN"),
    ("KE", "Kenya", "non-EU", 0.10, "en_KE"),
    ("BR", "Brazil", "non-EU", 0.08, "pt_BR"),
    ("IN", "India", "non-EU", 0.08, "en_IN"),
    ("GH", "Ghana", "non-EU", 0.07, "tw_GH"),
    ("TR", "Turkey", "non-EU", 0.07, "tr_TR"),
]

# well-known most frequent names, put first in the Zipf order
TOP = {
    ("NL", "surname"): ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
                        "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks"],
    ("RO", "surname"): ["Popa", "Popescu", "Pop", "Radu", "Ionescu", "Dumitru", "Stan", "Stoica", "Gheorghe", "Matei"],
    ("BR", "surname"): ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima"],
    ("PT", "surname"): ["Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins"],
    ("CN", "surname"): ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun"],
    ("IN", "surname"): ["Singh", "Kumar", "Sharma", "Patel", "Shah", "Gupta"],
    ("TR", "surname"): ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk"],
}

# Vietnamese surnames: approximate shares (Nguyễn about 38%)
VN_SURNAME_SHARE = {"Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 5, "Vũ": 4, "Đặng": 2, "Bùi": 2,
                    "Dương": 1, "Mai": 1}
# Chinese romanised given names by sex (Faker's list has no sex)
CN_FEMALE = {"Fang", "Guiying", "Jing", "Juan", "Na", "Ping", "Xia", "Xiulan", "Xiuying", "Yan", "Li", "Min"}

BG_TRANSLIT = dict(zip(
    "абвгдежзийклмнопрстуфхцчшщъьюя",
    ["a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f",
     "h", "ts", "ch", "sh", "sht", "a", "y", "yu", "ya"],
))


# Common diminutives and spelling variants of first names in the lists (hand-written, not from Faker): the
# "name-form variants" of the synthetic registrations (an organisation writes Kees for Cornelis).
FIRST_NAME_VARIANTS = [
    ("Johannes", "Jan"), ("Johannes", "Hans"), ("Hendrik", "Henk"), ("Cornelis", "Kees"), ("Catharina", "Karin"),
    ("Elisabeth", "Lisa"), ("Elisabeth", "Els"), ("Alexander", "Alex"), ("Aleksander", "Olek"),
    ("Oleksandr", "Sasha"), ("Oleksandr", "Aleksandr"), ("Volodymyr", "Vladimir"), ("Dmytro", "Dmitri"),
    ("Olena", "Elena"), ("Iryna", "Irina"), ("Nataliia", "Natalia"), ("Tetiana", "Tatiana"), ("Mariia", "Maria"),
    ("Magdalena", "Magda"), ("Maximilian", "Max"), ("Gheorghe", "George"), ("Nicolae", "Nicu"),
    ("Krzysztof", "Krzys"), ("Stanisław", "Staszek"), ("Wojciech", "Wojtek"), ("Agnieszka", "Aga"),
    ("Tomasz", "Tomek"), ("Piotr", "Peter"), ("Jakub", "Jacob"), ("Christopher", "Chris"), ("Benjamin", "Ben"),
    ("Jonathan", "Jon"), ("Thomas", "Tom"), ("Elizabeth", "Liz"), ("Margaret", "Maggie"), ("Patrick", "Pat"),
    ("Joseph", "Joe"), ("Rebecca", "Becky"), ("Jennifer", "Jenny"), ("Samuel", "Sam"), ("Emmanuel", "Manu"),
    ("Ibrahim", "Ebrahim"), ("Mohammed", "Muhammad"), ("Mohammed", "Mohamed"), ("Mustafa", "Mustapha"),
    ("Francisco", "Chico"), ("José", "Zé"), ("Fernando", "Nando"), ("Erzsébet", "Erzsi"), ("Katalin", "Kati"),
    ("József", "Jóska"), ("István", "Pista"), ("Ferenc", "Feri"), ("Sándor", "Sanyi"), ("Zsófia", "Zsófi"),
    ("Jozef", "Józef"), ("Ján", "Jan"), ("Ivan", "Iwan"), ("Stefan", "Stephan"), ("Andrei", "Andrey"),
    ("Mihai", "Mihail"), ("Elena", "Helena"), ("Gabriel", "Gabi"), ("Gabriela", "Gabi"), ("Alexandra", "Alex"),
]


def bg(name: str) -> str:
    out = []
    for ch in name:
        t = BG_TRANSLIT.get(ch.lower(), ch)
        out.append(t.capitalize() if ch.isupper() else t)
    return "".join(out)


def zipf(names: list[str], top: list[str] | None, rng: random.Random) -> list[tuple[str, float]]:
    names = list(OrderedDict.fromkeys(n.strip() for n in names if n and n.strip()))
    first = [n for n in (top or []) if n in names]
    rest = [n for n in names if n not in first]
    rng.shuffle(rest)
    return [(n, 1.0 / (r + 10)) for r, n in enumerate(first + rest)]


def weighted(d) -> list[tuple[str, float]]:
    return [(str(k), float(v)) for k, v in d.items()]


def plausible_dutch_surname(n: str) -> bool:
    """Faker's nl_NL list holds some medieval names ('Gepa van Bourgondië'): keep single names and particle + name."""
    particles = {"van", "de", "der", "den", "het", "ter", "ten", "te", "in", "op", "uit", "'t", "'s"}
    if "," in n or "-" in n:
        return False
    w = n.split()
    return len(w) == 1 or (len(w) <= 3 and all(x.lower() in particles for x in w[:-1]))


def polish_female(n: str) -> str:
    for a, b in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
        if n.endswith(a):
            return n[: -len(a)] + b
    return n


def main() -> None:
    rng = random.Random(SEED)
    first: list[tuple[str, str, str, float]] = []  # origin, sex, name, weight
    sur: list[tuple[str, str, str, float]] = []

    def add_first(origin, female, male, tr=lambda s: s):
        for sex, names in (("female", female), ("male", male)):
            if isinstance(names, dict):
                rows = weighted(OrderedDict((tr(k), v) for k, v in names.items()))
            else:
                rows = zipf([tr(x) for x in names], TOP.get((origin, f"first_{sex}")), rng)
            first.extend((origin, sex, n, w) for n, w in rows)

    def add_sur(origin, names, sex="", tr=lambda s: s):
        if isinstance(names, dict):
            rows = weighted(OrderedDict((tr(k), v) for k, v in names.items()))
        else:
            rows = zipf([tr(x) for x in names], TOP.get((origin, "surname")), rng)
        sur.extend((origin, sex, n, w) for n, w in rows)

    P = nl_NL.Provider
    add_first("NL", P.first_names_female, P.first_names_male)
    add_sur("NL", [n for n in P.last_names if plausible_dutch_surname(n)])

    P = pl_PL.Provider
    add_first("PL", P.first_names_female, P.first_names_male)
    # Faker's -ski/-cki list is in frequency order (Kowalski first); the other surnames are rarer
    ranked = [(n, 1.0 / (r + 10)) for r, n in enumerate(OrderedDict.fromkeys(P.male_last_names))]
    rest = zipf(list(P.unisex_last_names), None, rng)
    rest = [(n, w * 0.5) for n, w in rest]
    sur.extend(("PL", "male", n, w) for n, w in ranked + rest)
    sur.extend(("PL", "female", polish_female(n), w) for n, w in ranked + rest)

    P = ro_RO.Provider
    add_first("RO", P.first_names_female, P.first_names_male)
    add_sur("RO", P.last_names)

    P = bg_BG.Provider
    add_first("BG", P.first_names_female, P.first_names_male, tr=bg)
    add_sur("BG", P.last_names_female, "female", tr=bg)
    add_sur("BG", P.last_names_male, "male", tr=bg)

    P = hu_HU.Provider
    add_first("HU", P.first_names_female, P.first_names_male)
    add_sur("HU", P.last_names)

    P = sk_SK.Provider
    add_first("SK", P.first_names_female, P.first_names_male)
    add_sur("SK", P.last_names_female, "female")
    add_sur("SK", P.last_names_male, "male")

    P = pt_PT.Provider
    add_first("PT", P.first_names_female, P.first_names_male)
    add_sur("PT", P.last_names)

    ng = (en_NG.Provider, yo_NG.Provider, ig_NG.Provider, ha_NG.Provider)
    add_first("NG", [n for p in ng for n in p.first_names_female], [n for p in ng for n in p.first_names_male])
    add_sur("NG", [n for p in ng for n in p.last_names])

    P = uk_UA.Provider
    add_first("UA", P.first_names_female, P.first_names_male, tr=uk_UA.translit)
    add_sur("UA", P.last_names_female, "female", tr=uk_UA.translit)
    add_sur("UA", P.last_names_male, "male", tr=uk_UA.translit)

    P = vi_VN.Provider
    # Vietnamese: middle + given name form the first name (Thị for most women, Văn for many men)
    f_given = list(OrderedDict.fromkeys(list(P.first_names_female) + list(P.first_names_unisex)))
    m_given = list(OrderedDict.fromkeys(list(P.first_names_male) + list(P.first_names_unisex)))
    f_mid = {"Thị": 6.0, "Ngọc": 1.0, "Mai": 0.5, "Xuân": 0.5, "Bảo": 0.3}
    m_mid = {"Văn": 5.0, "Đức": 1.0, "Quang": 1.0, "Hữu": 1.0, "Thế": 0.5, "Xuân": 0.5, "Hoàng": 0.5, "Tấn": 0.3}
    for sex, mids, given in (("female", f_mid, f_given), ("male", m_mid, m_given)):
        gz = zipf(given, None, rng)
        for mid, wm in mids.items():
            first.extend(("VN", sex, f"{mid} {g}", wm * wg) for g, wg in gz)
    sur.extend(("VN", "", n, w) for n, w in VN_SURNAME_SHARE.items())

    P = zh_CN.Provider
    given = list(P.first_romanized_names)
    add_first("CN", [g for g in given if g in CN_FEMALE], [g for g in given if g not in CN_FEMALE])
    add_sur("CN", P.last_romanized_names)

    P = en_KE.Provider
    add_first("KE", P.first_names_female, P.first_names_male)
    add_sur("KE", P.last_names)

    P = pt_BR.Provider
    add_first("BR", P.first_names_female, P.first_names_male)
    add_sur("BR", P.last_names)

    P = en_IN.Provider
    add_first("IN", P.first_names_female, P.first_names_male)
    add_sur("IN", P.last_names)

    P = tw_GH.Provider

    def twi(s):  # Dutch registrations write the Twi open vowels as e and o
        return s.translate(str.maketrans("ɛƐɔƆ", "eEoO"))

    add_first("GH", P.first_names_female, P.first_names_male, tr=twi)
    add_sur("GH", P.last_names_female, "female", tr=twi)
    add_sur("GH", P.last_names_male, "male", tr=twi)

    P = tr_TR.Provider
    add_first("TR", P.first_names_female, P.first_names_male)
    add_sur("TR", P.last_names)

    OUT.mkdir(parents=True, exist_ok=True)
    _write(OUT / "first_names.csv", ["origin", "sex", "name", "weight"], _normalised(first))
    _write(OUT / "surnames.csv", ["origin", "sex", "name", "weight"], _normalised(sur))
    _write(OUT / "first_name_variants.csv", ["name", "variant"], FIRST_NAME_VARIANTS)
    _write(OUT / "origins.csv", ["origin", "country", "group", "share", "faker_locales"], ORIGINS)
    print(f"Faker {faker.VERSION}: {len(first)} first names, {len(sur)} surnames -> {OUT}")


def _normalised(rows):
    """Deduplicate (origin, sex, name) and scale weights to sum 1 per (origin, sex)."""
    acc: OrderedDict = OrderedDict()
    for o, s, n, w in rows:
        acc[(o, s, n)] = acc.get((o, s, n), 0.0) + w
    tot: dict = {}
    for (o, s, _), w in acc.items():
        tot[(o, s)] = tot.get((o, s), 0.0) + w
    return [(o, s, n, f"{w / tot[(o, s)]:.8f}") for (o, s, n), w in acc.items()]


def _write(path: Path, header, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


if __name__ == "__main__":
    main()
