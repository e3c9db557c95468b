# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title DataRewards
@license Apache-2.0
@notice Pays data contributors their share of a pool in proportion to their (fixed-point) Shapley values.

        Rules (the Python reference is autonomys.protocol.ai.shapley.accrual_shares):
        - Anyone may add native value to the pool with fund(); the owner (the deployer) alone accrues.
        - accrue(contributors, values) shares the whole current pool: contributor i accrues
          pool * max(values[i], 0) // sum_j max(values[j], 0) (integer floor). The rounding remainder stays in the
          pool, reported by unallocated(), and is shared by the next accrual. A contributor listed twice accrues
          both entries' shares.
        - claim() pays msg.sender everything accrued to it and zeroes it before the transfer
          (checks-effects-interactions, and nonreentrant); with nothing accrued it reverts "nothing accrued".
        - Every rejection reverts by name and changes nothing. Invariant: self.balance == pool + totalAccrued.
"""


MAX_CONTRIBUTORS: public(constant(uint256)) = 64
# Contributors one accrual may list (bounds the loop's gas).

MAX_VALUE: public(constant(int256)) = 2**96
# Largest value an accrual takes (2**96 micro-units is far beyond any metric): keeps the share arithmetic exact.


event Funded:
    funder: indexed(address)
    amount: uint256
    pool: uint256


event Accrued:
    contributor: indexed(address)
    value: int256
    amount: uint256


event Claimed:
    contributor: indexed(address)
    amount: uint256


owner: public(address)
pool: public(uint256)
# Native value funded and not yet accrued to anyone.
totalAccrued: public(uint256)
# Accrued and not yet claimed.
accruedOf: public(HashMap[address, uint256])


@deploy
def __init__():
    self.owner = msg.sender


@external
@payable
def fund():
    """
    @notice Add msg.value to the pool.
    """
    assert msg.value > 0, "nothing funded"
    self.pool += msg.value
    log Funded(funder=msg.sender, amount=msg.value, pool=self.pool)


@external
@view
def unallocated() -> uint256:
    """
    @notice The pool not yet accrued (the floor remainders of past accruals included).
    """
    return self.pool


@external
def accrue(contributors: DynArray[address, MAX_CONTRIBUTORS], values: DynArray[int256, MAX_CONTRIBUTORS]):
    """
    @notice Share the pool among contributors in proportion to max(value, 0); owner only.
    """
    assert msg.sender == self.owner, "only owner"
    assert len(contributors) == len(values), "lengths differ"
    assert len(contributors) > 0, "no contributors"
    pool: uint256 = self.pool
    assert pool > 0, "empty pool"
    total: uint256 = 0
    for value: int256 in values:
        assert value <= MAX_VALUE, "value too large"
        if value > 0:
            total += convert(value, uint256)
    assert total > 0, "no positive value"
    shared: uint256 = 0
    for index: uint256 in range(len(contributors), bound=MAX_CONTRIBUTORS):
        weight: uint256 = 0
        if values[index] > 0:
            weight = convert(values[index], uint256)
        # floor(pool * weight / total) without overflow: pool = q * total + r gives q * weight + r * weight // total,
        # where q * weight <= pool and r * weight < total**2 <= (64 * MAX_VALUE)**2 < 2**204.
        amount: uint256 = pool // total * weight + pool % total * weight // total
        self.accruedOf[contributors[index]] += amount
        shared += amount
        log Accrued(contributor=contributors[index], value=values[index], amount=amount)
    self.pool = pool - shared
    self.totalAccrued += shared


@external
@nonreentrant
def claim():
    """
    @notice Pay msg.sender everything accrued to it.
    """
    amount: uint256 = self.accruedOf[msg.sender]
    assert amount > 0, "nothing accrued"
    self.accruedOf[msg.sender] = 0
    self.totalAccrued -= amount
    log Claimed(contributor=msg.sender, amount=amount)
    # All gas forwarded (a contract wallet may claim); a failed transfer reverts the whole claim.
    raw_call(msg.sender, b"", value=amount)
