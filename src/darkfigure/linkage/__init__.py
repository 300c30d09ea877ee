"""Record linkage for the clearing house: registration files, pseudonymisation at the source, synthetic data.

Registrations (one row per registration of a person by an organisation) are read and
validated by :mod:`.registrations`, pseudonymised at the source by :mod:`.pseudonymise`
(keyed tokens and hardened Bloom filters), and simulated with a known truth by
:mod:`.synthetic`. :func:`link` links them into persons (a :class:`LinkageResult`);
:func:`read_link_run` reads a ``darkfigure link`` output folder back as a :class:`LinkRun`, the run
that the linkage correction of ``estimate`` and ``monitor`` draws its persons from.
"""

from .link import LinkageResult, link, persons_from_links, persons_from_pairs
from .link_run import LinkRun, read_link_run
from .pseudonymise import PseudonymisationError, bloom_dice, decode_bloom, load_key, pseudonymise, pseudonymise_file
from .registrations import (
    RegistrationError,
    normalise_date,
    normalise_name,
    normalise_nationality,
    normalise_sex,
    read_registration_files,
    read_registrations,
    registration_kind,
)
from .synthetic import ErrorRates, RegistrationSimulation, simulate_registrations

__all__ = [
    "ErrorRates",
    "LinkageResult",
    "LinkRun",
    "link",
    "persons_from_links",
    "persons_from_pairs",
    "PseudonymisationError",
    "RegistrationError",
    "RegistrationSimulation",
    "bloom_dice",
    "decode_bloom",
    "load_key",
    "normalise_date",
    "normalise_name",
    "normalise_nationality",
    "normalise_sex",
    "pseudonymise",
    "pseudonymise_file",
    "read_registration_files",
    "read_link_run",
    "read_registrations",
    "registration_kind",
    "simulate_registrations",
]
