"""The client's copy of the operation catalogue is the service's: parsed from
libs/core/src/operation-catalogue.ts, so a new or changed operation there fails here first."""

import re

from memory_sidecar.catalogue import JOURNALED, MUTATIONS, OPERATION_CATALOGUE, OperationTraits
from tests.harness import REPO

CATALOGUE_TS = REPO / "libs" / "core" / "src" / "operation-catalogue.ts"


def typescript_catalogue() -> dict:
    source = CATALOGUE_TS.read_text()
    kinds = {
        name: OperationTraits(mutation=mutation == "true", journaled=journaled == "true")
        for name, mutation, journaled in re.findall(r"const (\w+) = \{ mutation: (true|false), journaled: (true|false) \} as const;", source)
    }
    body = re.search(r"OPERATION_CATALOGUE = \{(.*?)\} as const satisfies", source, re.S)
    assert kinds and body, f"{CATALOGUE_TS} is no longer laid out as this test reads it"
    entries = re.findall(r"'([a-z]+(?:\.[a-zA-Z]+)+)':\s*(\w+),", body.group(1))
    assert entries, f"no operations found in {CATALOGUE_TS}"
    return {name: kinds[kind] for name, kind in entries}


def test_the_catalogue_is_the_services():
    assert OPERATION_CATALOGUE == typescript_catalogue()


def test_every_journaled_operation_is_a_mutation():
    assert JOURNALED <= MUTATIONS
    assert "kv.put" in JOURNALED and "session.open" in MUTATIONS - JOURNALED and "kv.get" not in MUTATIONS
