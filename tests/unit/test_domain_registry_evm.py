"""pallet-domains `DomainConfigParams` in its reference shape: domain-runtime-primitives `MultiAccountId` initial
balances and sp-domains `DomainRuntimeInfo` (0 Evm{chain_id, Public}, 1 AutoId, ours 2 Balances), with the
instantiation checks that go with them (runtime type against the info variant, account size, unused EVM chain id).

Known answer: the bytes of a small EVM config, assembled by hand from the SCALE rules. An EVM runtime is stood in
by a small fake registered as "evm" for the test only (it records the genesis arguments it is given)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonomys.protocol.codec import Reader, encode_u32
from autonomys.protocol.domains.bundles import Weight
from autonomys.protocol.domains.ledger import MemoryLedger
from autonomys.protocol.domains.registry import (
    DEFAULT_EVM_CHAIN_ID,
    RUNTIME_TYPE_AUTO_ID,
    RUNTIME_TYPE_BALANCES,
    RUNTIME_TYPE_EVM,
    RUNTIME_TYPES,
    BundleLimit,
    DomainConfig,
    DomainRuntimeInfo,
    EvmChainIdInUse,
    InvalidConfigForRuntimeType,
    compute_domain_genesis,
    evm_chain_id_owner,
    get_domain,
    get_runtime,
    instantiate_domain,
    register_domain_runtime,
    runtime_info_for,
)
from autonomys.protocol.domains.runtime import RUNTIMES, DomainState, runtime_named
from autonomys.protocol.domains.staking_types import OperatorAllowList
from autonomys.protocol.errors import DecodeError, InvalidDomainConfig
from autonomys.protocol.state.steps import SteppedWriter
from autonomys.protocol.state.trie import EMPTY_ROOT, NodeSource

AI3 = 10**18
OWNER = bytes([7]) * 32
ALITH = bytes.fromhex("f24ff3a9cf04c71dbc94d0b566f7a27b94566cac")
DEPOSIT = 100 * AI3
MAX_BUNDLE = BundleLimit(2**32 - 1, Weight(2**64 - 1, 2**64 - 1))
INFOS = st.one_of(
    st.builds(DomainRuntimeInfo.evm, st.integers(0, 2**64 - 1)),
    st.sampled_from([DomainRuntimeInfo(RUNTIME_TYPE_AUTO_ID), DomainRuntimeInfo(RUNTIME_TYPE_BALANCES)]),
)
ACCOUNTS = st.one_of(st.binary(min_size=32, max_size=32), st.binary(min_size=20, max_size=20))
CONFIGS = st.builds(
    DomainConfig,
    st.text(max_size=40),
    st.integers(0, 2**32 - 1),
    st.one_of(st.none(), st.builds(BundleLimit, st.integers(0, 2**32 - 1), st.builds(Weight, st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)))),
    st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)),
    st.just(OperatorAllowList()),
    st.lists(st.tuples(ACCOUNTS, st.integers(0, 2**128 - 1)), max_size=4).map(tuple),
    INFOS,
)  # fmt: skip


@dataclass
class FakeEvmRuntime:
    """Stands in for the EVM runtime in registry tests: a trie state, a genesis that records its arguments."""

    name: str = "evm"
    geneses: list[tuple[int, tuple[tuple[bytes, int], ...], int]] = field(default_factory=list)

    def open_state(self, nodes: NodeSource, root: bytes | None) -> SteppedWriter:
        return SteppedWriter(nodes, EMPTY_ROOT if root is None else root)

    def genesis(
        self, state: DomainState, domain_id: int, initial_balances: Sequence[tuple[bytes, int]], *, evm_chain_id: int
    ) -> None:
        self.geneses.append((domain_id, tuple(initial_balances), evm_chain_id))
        state.set(b"chain_id", evm_chain_id.to_bytes(8, "little"))
        for account, amount in initial_balances:
            state.set(b"account/" + account, amount.to_bytes(16, "little"))


@pytest.fixture
def evm_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEvmRuntime]:
    runtime_named("balances")  # imports the built-in runtimes first, so none replaces the fake mid-test
    fake = FakeEvmRuntime()
    monkeypatch.setitem(RUNTIMES, "evm", fake)
    yield fake


def registry(*names: str) -> tuple[MemoryLedger, dict[str, int]]:
    """An owner with 10 000 AI3 and the named runtimes registered (their ids by name)."""
    ledger = MemoryLedger({OWNER: 10_000 * AI3})
    return ledger, {name: register_domain_runtime(ledger, name, created_at=0) for name in names}


def config(runtime_id: int, balances: tuple[tuple[bytes, int], ...], info: DomainRuntimeInfo) -> DomainConfig:
    return DomainConfig("d", runtime_id, None, (1, 1), OperatorAllowList(), balances, info)


def contents(ledger: MemoryLedger) -> tuple[dict[bytes, bytes], dict[bytes, int], int]:
    return dict(ledger.storage), dict(ledger.balances), ledger.total_issuance


def instantiate(ledger: MemoryLedger, domain_config: DomainConfig) -> int:
    return instantiate_domain(
        ledger, OWNER, domain_config, created_at=3, deposit=DEPOSIT, max_bundle=MAX_BUNDLE
    ).domain_id


# ---- encoding ----


def test_a_small_evm_config_has_the_reference_bytes() -> None:
    evm = config(1, ((bytes([0x11]) * 20, 5),), DomainRuntimeInfo.evm(870))
    expected = bytes.fromhex(
        "04" "64"  # domain_name: compact length 1, "d"
        "01000000"  # runtime_id u32
        "00"  # maybe_bundle_limit: None
        "0100000000000000" "0100000000000000"  # bundle_slot_probability (1, 1)
        "00"  # operator_allow_list: Anyone
        "04"  # initial_balances: compact length 1
        "01" + "11" * 20 +  # MultiAccountId::AccountId20
        "05" + "00" * 15 +  # u128 5
        "00" "6603000000000000" "00"  # DomainRuntimeInfo::Evm{chain_id 870 (0x366), EvmType::Public}
    )  # fmt: skip
    assert evm.to_bytes() == expected
    assert DomainConfig.from_bytes(expected) == evm


def test_the_other_variants_have_one_tag_byte() -> None:
    balances = config(0, ((bytes([0x22]) * 32, 9),), DomainRuntimeInfo(RUNTIME_TYPE_BALANCES))
    tail = "04" "00" + "22" * 32 + "09" + "00" * 15  # fmt: skip
    assert balances.to_bytes().endswith(bytes.fromhex(tail + "02"))
    assert config(0, (), DomainRuntimeInfo(RUNTIME_TYPE_AUTO_ID)).to_bytes().endswith(bytes.fromhex("0001"))
    assert DomainConfig("d", 0, None, (1, 1), OperatorAllowList(), ()).runtime_info.kind == RUNTIME_TYPE_BALANCES


@pytest.mark.parametrize(
    "info",
    [DomainRuntimeInfo.evm(0), DomainRuntimeInfo.evm(2**64 - 1), DomainRuntimeInfo(RUNTIME_TYPE_AUTO_ID),
     DomainRuntimeInfo(RUNTIME_TYPE_BALANCES)],
)  # fmt: skip
def test_each_runtime_info_variant_round_trips(info: DomainRuntimeInfo) -> None:
    for balances in ((), ((ALITH, AI3), (bytes(32), 2 * AI3))):
        domain_config = config(4, balances, info)
        assert DomainConfig.from_bytes(domain_config.to_bytes()) == domain_config
        assert DomainRuntimeInfo.read(Reader(info.to_bytes(), "info")) == info


def test_private_evm_raw_accounts_and_unknown_tags_are_decode_errors() -> None:
    public = config(0, ((ALITH, AI3),), DomainRuntimeInfo.evm(870)).to_bytes()
    with pytest.raises(DecodeError, match="private EVM domains are not supported"):
        DomainConfig.from_bytes(public[:-1] + b"\x01")
    with pytest.raises(DecodeError, match="EVM type"):
        DomainConfig.from_bytes(public[:-1] + b"\x02")
    with pytest.raises(DecodeError, match="unknown variant 3"):
        DomainConfig.from_bytes(config(0, (), DomainRuntimeInfo(RUNTIME_TYPE_AUTO_ID)).to_bytes()[:-1] + b"\x03")
    account_at = public.index(ALITH) - 1
    assert public[account_at] == 1
    raw = public[:account_at] + b"\x02\x50" + ALITH + public[account_at + 21 :]  # Raw(Vec<u8>) of 20 bytes
    with pytest.raises(DecodeError, match="Raw"):
        DomainConfig.from_bytes(raw)
    with pytest.raises(DecodeError, match="MultiAccountId: unknown variant 3"):
        DomainConfig.from_bytes(public[:account_at] + b"\x03" + public[account_at + 1 :])


@pytest.mark.parametrize("size", [0, 19, 21, 31, 33, 64])
def test_accounts_of_another_size_are_rejected(size: int) -> None:
    with pytest.raises(InvalidDomainConfig, match="neither 32 nor 20 bytes"):
        config(0, ((bytes(size), AI3),), DomainRuntimeInfo(RUNTIME_TYPE_BALANCES))


def test_runtime_info_fields_fit_the_variant() -> None:
    with pytest.raises(InvalidDomainConfig):
        DomainRuntimeInfo(RUNTIME_TYPE_EVM)
    with pytest.raises(InvalidDomainConfig):
        DomainRuntimeInfo(RUNTIME_TYPE_BALANCES, 870)
    with pytest.raises(InvalidDomainConfig):
        DomainRuntimeInfo(3)
    with pytest.raises(DecodeError):
        DomainRuntimeInfo.evm(2**64)
    assert runtime_info_for("evm") == DomainRuntimeInfo.evm(DEFAULT_EVM_CHAIN_ID) == DomainRuntimeInfo.evm(870)
    assert runtime_info_for("evm", evm_chain_id=5) == DomainRuntimeInfo.evm(5)
    assert runtime_info_for("balances") == DomainRuntimeInfo(RUNTIME_TYPE_BALANCES)
    assert runtime_info_for("auto-id") == DomainRuntimeInfo(RUNTIME_TYPE_AUTO_ID)
    assert RUNTIME_TYPES == {"balances": 2, "evm": 0, "auto-id": 1}


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_are_a_domain_config_or_a_decode_error(raw: bytes) -> None:
    try:
        decoded = DomainConfig.from_bytes(raw)
    except DecodeError:
        return
    assert decoded.to_bytes() == raw


@settings(max_examples=300, deadline=None)
@given(domain_config=CONFIGS, data=st.data())
def test_configs_round_trip_and_mutations_decode_exactly_or_fail(domain_config: DomainConfig, data) -> None:
    encoded = domain_config.to_bytes()
    assert DomainConfig.from_bytes(encoded) == domain_config
    mutated = bytearray(encoded)
    position = data.draw(st.integers(0, len(mutated) - 1))
    mutated[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(mutated)))
    for candidate in (bytes(mutated), bytes(mutated[:cut]), bytes(mutated) + b"\x00"):
        try:
            decoded = DomainConfig.from_bytes(candidate)
        except DecodeError:
            continue
        assert decoded.to_bytes() == candidate


# ---- instantiation ----


def test_an_evm_domain_is_instantiated_with_its_chain_id(evm_runtime: FakeEvmRuntime) -> None:
    ledger, ids = registry("balances", "evm")
    assert get_runtime(ledger, ids["evm"]).runtime_type == RUNTIME_TYPE_EVM
    assert get_runtime(ledger, ids["balances"]).runtime_type == RUNTIME_TYPE_BALANCES
    evm = config(ids["evm"], ((ALITH, 3 * AI3),), DomainRuntimeInfo.evm(870))
    domain_id = instantiate(ledger, evm)
    assert evm_runtime.geneses == [(domain_id, ((ALITH, 3 * AI3),), 870)]
    assert evm_chain_id_owner(ledger, 870) == domain_id == 0
    assert ledger.get(b"domains/evm_chain_id/" + (870).to_bytes(8, "little")) == encode_u32(0)
    assert evm_chain_id_owner(ledger, 871) is None
    assert get_domain(ledger, domain_id).config == evm
    second = instantiate(ledger, config(ids["evm"], (), DomainRuntimeInfo.evm(871)))
    assert (second, evm_chain_id_owner(ledger, 871)) == (1, 1)
    balances_domain = instantiate(ledger, config(ids["balances"], ((OWNER, AI3),), DomainRuntimeInfo(2)))
    assert get_domain(ledger, balances_domain).config.runtime_info == DomainRuntimeInfo(RUNTIME_TYPE_BALANCES)


def test_the_genesis_gets_the_chain_id_only_when_there_is_one(evm_runtime: FakeEvmRuntime) -> None:
    first = compute_domain_genesis("evm", 2, [(ALITH, AI3)], evm_chain_id=870)
    other = compute_domain_genesis("evm", 2, [(ALITH, AI3)], evm_chain_id=871)
    assert first.root != other.root
    assert evm_runtime.geneses == [(2, ((ALITH, AI3),), 870), (2, ((ALITH, AI3),), 871)]
    plain = compute_domain_genesis("balances", 2, [(OWNER, AI3)])  # the balances runtime takes no chain id
    assert plain.root == compute_domain_genesis("balances", 2, [(OWNER, AI3)]).root


def test_a_reused_evm_chain_id_is_rejected_changing_nothing(evm_runtime: FakeEvmRuntime) -> None:
    ledger, ids = registry("balances", "evm")
    instantiate(ledger, config(ids["evm"], (), DomainRuntimeInfo.evm(870)))
    before = contents(ledger)
    with pytest.raises(EvmChainIdInUse, match="EVM chain id 870 is domain 0's"):
        instantiate(ledger, config(ids["evm"], ((ALITH, AI3),), DomainRuntimeInfo.evm(870)))
    assert contents(ledger) == before
    assert len(evm_runtime.geneses) == 1


@pytest.mark.parametrize(
    ("runtime", "info", "message"),
    [
        ("evm", DomainRuntimeInfo(RUNTIME_TYPE_BALANCES), "runtime 'evm' needs EVM runtime info, got Balances"),
        ("evm", DomainRuntimeInfo(RUNTIME_TYPE_AUTO_ID), "runtime 'evm' needs EVM runtime info, got AutoId"),
        ("balances", DomainRuntimeInfo.evm(870), "runtime 'balances' needs Balances runtime info, got EVM"),
    ],
)
def test_runtime_info_of_another_type_is_rejected_changing_nothing(
    evm_runtime: FakeEvmRuntime, runtime: str, info: DomainRuntimeInfo, message: str
) -> None:
    ledger, ids = registry("balances", "evm")
    before = contents(ledger)
    with pytest.raises(InvalidConfigForRuntimeType, match=message):
        instantiate(ledger, config(ids[runtime], (), info))
    assert contents(ledger) == before
    assert evm_runtime.geneses == []


@pytest.mark.parametrize(
    ("runtime", "account", "size"),
    [("evm", OWNER, 20), ("balances", ALITH, 32)],
)
def test_initial_accounts_of_the_wrong_size_for_the_runtime_are_rejected_changing_nothing(
    evm_runtime: FakeEvmRuntime, runtime: str, account: bytes, size: int
) -> None:
    ledger, ids = registry("balances", "evm")
    info = runtime_info_for(runtime)
    right = (ALITH, AI3) if runtime == "evm" else (OWNER, AI3)
    before = contents(ledger)
    with pytest.raises(InvalidConfigForRuntimeType, match=f"takes {size}-byte initial balance accounts"):
        instantiate(ledger, config(ids[runtime], (right, (account, AI3)), info))
    assert contents(ledger) == before
    assert evm_runtime.geneses == []


# ---- callers that build configs ----


def test_genesis_domain_configs_fit_their_runtime(evm_runtime: FakeEvmRuntime) -> None:
    from autonomys.actors.objects.client import dev_account
    from autonomys.network.domains import DEV_EVM_ACCOUNT, domain_config, known_runtimes

    assert DEV_EVM_ACCOUNT == ALITH
    evm = domain_config("evm", 1)
    assert evm.runtime_id == known_runtimes().index("evm")
    assert evm.runtime_info == DomainRuntimeInfo.evm(871)  # DEFAULT_EVM_CHAIN_ID + the domain id
    assert [account for account, _ in evm.initial_balances] == [ALITH]
    balances = domain_config("balances", 0)
    assert balances.runtime_info == DomainRuntimeInfo(RUNTIME_TYPE_BALANCES)
    assert [account for account, _ in balances.initial_balances] == [dev_account().public_key]
    ledger, _ = registry(*known_runtimes())
    assert [instantiate(ledger, evm), instantiate(ledger, balances)] == [0, 1]


def test_the_cli_reads_initial_accounts_of_the_runtimes_size() -> None:
    import click

    from autonomys.cli.domain import parse_domain_account

    assert parse_domain_account("dev", 20) == ALITH
    assert parse_domain_account("0x" + ALITH.hex(), 20) == ALITH
    assert parse_domain_account("ab" * 32, 32) == bytes([0xAB]) * 32
    for text, size in (("ab" * 32, 20), (ALITH.hex(), 32), ("zz" * 20, 20)):
        with pytest.raises(click.BadParameter, match="hex digits"):
            parse_domain_account(text, size)


def test_genesis_operators_derive_the_genesis_the_chain_recorded(evm_runtime: FakeEvmRuntime) -> None:
    from autonomys.network.domains import domain_config, known_runtimes, operator_identities
    from autonomys.protocol.domains.receipts import genesis_receipt

    runtimes = ("balances", "evm")
    ledger, _ = registry(*known_runtimes())
    receipts = [
        instantiate_domain(
            ledger, OWNER, domain_config(runtime, domain_id), created_at=0, deposit=DEPOSIT, max_bundle=MAX_BUNDLE
        ).genesis_receipt
        for domain_id, runtime in enumerate(runtimes)
    ]
    identities = operator_identities("00" * 32, runtimes)
    assert [identity.evm_chain_id for identity in identities.values()] == [None, None, 871, 871]
    for identity in identities.values():
        genesis = compute_domain_genesis(
            identity.runtime_name, identity.domain_id, identity.initial_balances, evm_chain_id=identity.evm_chain_id
        )
        assert genesis_receipt(genesis.root) == receipts[identity.domain_id]
