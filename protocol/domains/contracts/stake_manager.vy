# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title StakeManager
@license Apache-2.0
@notice Lightweight proof of stake for Request executors (Autonomy's StakeManager and Registry): stakers lock the
        stake token in whole units of STAN_STAKE; each epoch of EPOCH_LENGTH domain blocks one unit is drawn with
        the blockhash of the block before the epoch, and its staker alone may execute Requests during the epoch
        and earn their fees.

        Decisions (see each function for the reasoning):
        - The stake array holds one entry (the staker's address) per unit, so the winner of a random fraction
          r / 2**256 is stakeAt[floor(r * length / 2**256)], an O(1) lookup.
        - The executor of an epoch is selected and cached by the first state-changing call of the epoch
          (stake, unstake, updateExecutor, isUpdatedExec, executeRequest), always BEFORE a stake or unstake
          changes the array, so it is fixed from the epoch's first block.
        - An empty stake array selects no executor (the zero address) for the epoch, cached like any other
          selection: a stake later in that epoch does not make an executor until the next epoch, and
          executeRequest reverts meanwhile. So the epoch the contract is deployed in never has an executor:
          its first stake caches the empty selection first.
        - Epoch 0 (blocks 0..99) draws with the genesis block hash, blockhash(0): it has no block before it, and
          blockhash(epoch - 1) would underflow and make every stake in epoch 0 revert.
        - Request fees are native value (msg.value) held by this contract in escrow, paid to the executor on
          execution, refunded on cancellation.
"""

from ethereum.ercs import IERC20


STAN_STAKE: public(constant(uint256)) = 10_000 * 10**18
# One stake unit in base units of the stake token (10,000 tokens of 18 decimals).

EPOCH_LENGTH: public(constant(uint256)) = 100
# Domain blocks per epoch. Must stay <= 256: an epoch's randomness is blockhash(epoch - 1), and BLOCKHASH reaches
# only the 256 most recent blocks. Every block of an epoch lies at most EPOCH_LENGTH blocks after epoch - 1, so
# whichever transaction of the epoch comes first can still read it (see _epochRandomness).

MAX_UNITS_PER_CALL: public(constant(uint256)) = 100
# Units one stake or unstake call may move. Each unit costs a few fresh storage slots (about 70k gas), so the
# bound keeps a call well under a block's gas limit; larger stakes take several calls.

MAX_CALL_DATA: public(constant(uint256)) = 1024
# Largest calldata a Request may carry.

NO_EPOCH: constant(uint256) = max_value(uint256)
# executorEpoch before the first selection (no epoch starts at 2**256 - 1: epochs are multiples of 100).

REQUEST_PENDING: public(constant(uint8)) = 1
REQUEST_EXECUTED: public(constant(uint8)) = 2
REQUEST_CANCELLED: public(constant(uint8)) = 3
# Request.status; 0 means no such request.


struct Request:
    requester: address
    target: address
    fee: uint256
    status: uint8
    callData: Bytes[MAX_CALL_DATA]


event Staked:
    staker: indexed(address)
    amount: uint256
    units: uint256


event Unstaked:
    staker: indexed(address)
    amount: uint256
    units: uint256


event ExecutorSelected:
    epoch: indexed(uint256)
    executor: indexed(address)
    randomness: bytes32


event RequestPosted:
    requestId: indexed(uint256)
    requester: indexed(address)
    target: address
    fee: uint256


event RequestExecuted:
    requestId: indexed(uint256)
    executor: indexed(address)
    epoch: uint256
    fee: uint256


event RequestCancelled:
    requestId: indexed(uint256)
    requester: indexed(address)
    fee: uint256


stakeToken: public(immutable(IERC20))

stakesLength: public(uint256)
stakeAt: public(HashMap[uint256, address])
# The stake array: stakeAt[0 .. stakesLength - 1], one entry per unit.

unitsOf: public(HashMap[address, uint256])
unitPosition: HashMap[address, HashMap[uint256, uint256]]
# unitPosition[staker][k]: where the staker's k-th unit (k < unitsOf[staker]) sits in the stake array.
unitSlot: HashMap[uint256, uint256]
# unitSlot[position]: k such that unitPosition[stakeAt[position]][k] == position (the inverse index).

executor: public(address)
executorEpoch: public(uint256)
# The cached selection: executor is the executor of executorEpoch (the per-epoch "is updated" flag of
# Autonomy's isUpdatedExec is executorEpoch == the current epoch).

requests: public(HashMap[uint256, Request])
requestCount: public(uint256)


@deploy
def __init__(token: IERC20):
    stakeToken = token
    self.executorEpoch = NO_EPOCH


# ---- epochs and selection (pure) ----


@internal
@pure
def _epochOf(blockNumber: uint256) -> uint256:
    return blockNumber - blockNumber % EPOCH_LENGTH


@internal
@pure
def _winnerIndex(randomness: uint256, length: uint256) -> uint256:
    # floor(randomness * length / 2**256): the high word of the 512-bit product, in O(1) without overflow (Remco
    # Bloemen's mul512). With P = high * 2**256 + low and 2**256 = 1 modulo 2**256 - 1, P mod (2**256 - 1) is
    # (high + low) mod (2**256 - 1), so high = that residue - low, less a borrow when the residue is below low.
    low: uint256 = unsafe_mul(randomness, length)
    residue: uint256 = uint256_mulmod(randomness, length, max_value(uint256))
    high: uint256 = unsafe_sub(residue, low)
    if residue < low:
        high = unsafe_sub(high, 1)
    return high


@external
@pure
def computeEpoch(blockNumber: uint256) -> uint256:
    """@notice The epoch of a block: the number of the epoch's first block."""
    return self._epochOf(blockNumber)


@external
@pure
def computeWinnerIndex(randomness: uint256, length: uint256) -> uint256:
    """@notice floor(randomness * length / 2**256): the index a random fraction selects in an array of length."""
    return self._winnerIndex(randomness, length)


@internal
@view
def _selectFrom(randomness: uint256) -> address:
    length: uint256 = self.stakesLength
    # The empty array has no winner: no executor this epoch.
    if length == 0:
        return empty(address)
    return self.stakeAt[self._winnerIndex(randomness, length)]


@internal
@view
def _epochRandomness(epoch: uint256) -> bytes32:
    # The hash of the block before the epoch, so nothing done inside the epoch can steer it; epoch 0 has no block
    # before it and uses the genesis block's hash. Both are read only while the epoch is current, when that block
    # lies 1 to EPOCH_LENGTH (<= 256) blocks back, inside BLOCKHASH's window (vyper's blockhash reverts outside
    # it). An epoch in which nobody transacts never caches an executor; nobody could have executed in it anyway,
    # and the next epoch draws with its own block, so a randomness block older than 256 is never needed.
    if epoch == 0:
        return blockhash(0)
    return blockhash(epoch - 1)


@external
@view
def computeExecutor(randomness: uint256) -> address:
    """@notice The staker the current stake array selects for a given randomness (the zero address if empty)."""
    return self._selectFrom(randomness)


@external
@view
def getCurrentEpoch() -> uint256:
    return self._epochOf(block.number)


@external
@view
def getEpochRandomness() -> bytes32:
    """@notice The randomness of the current epoch."""
    return self._epochRandomness(self._epochOf(block.number))


@external
@view
def getExecutor() -> address:
    """@notice The current epoch's executor, cached or not yet: until the first state-changing call of an epoch
    caches it, no stake or unstake has happened in the epoch, so the array is the one the epoch began with."""
    epoch: uint256 = self._epochOf(block.number)
    if self.executorEpoch == epoch:
        return self.executor
    return self._selectFrom(convert(self._epochRandomness(epoch), uint256))


@external
@view
def getTotalStaked() -> uint256:
    return self.stakesLength * STAN_STAKE


# ---- the executor of the epoch ----


@internal
def _updateExecutor() -> address:
    epoch: uint256 = self._epochOf(block.number)
    if self.executorEpoch == epoch:
        return self.executor
    randomness: bytes32 = self._epochRandomness(epoch)
    selected: address = self._selectFrom(convert(randomness, uint256))
    self.executor = selected
    self.executorEpoch = epoch
    log ExecutorSelected(epoch=epoch, executor=selected, randomness=randomness)
    return selected


@internal
def _requireExecutor(account: address):
    selected: address = self._updateExecutor()
    assert selected != empty(address), "StakeManager: no executor this epoch"
    assert account == selected, "StakeManager: not the executor"


@external
def updateExecutor() -> address:
    """@notice Select and cache the current epoch's executor if not yet done; return it."""
    return self._updateExecutor()


@external
def isUpdatedExec(account: address) -> bool:
    """@notice Autonomy's check before any execution: cache the epoch's executor if needed, then revert unless
    account is it."""
    self._requireExecutor(account)
    return True


# ---- staking ----


@internal
@pure
def _unitsIn(amount: uint256) -> uint256:
    assert amount > 0, "StakeManager: zero amount"
    assert amount % STAN_STAKE == 0, "StakeManager: not a multiple of STAN_STAKE"
    return amount // STAN_STAKE


@external
@nonreentrant
def stake(amount: uint256):
    """@notice Stake amount (a positive multiple of STAN_STAKE) of the stake token, pulled with transferFrom."""
    units: uint256 = self._unitsIn(amount)
    # The epoch's executor is fixed before the array changes.
    self._updateExecutor()
    assert extcall stakeToken.transferFrom(msg.sender, self, amount), "StakeManager: transferFrom failed"
    count: uint256 = self.unitsOf[msg.sender]
    length: uint256 = self.stakesLength
    for i: uint256 in range(units, bound=MAX_UNITS_PER_CALL):
        self.stakeAt[length + i] = msg.sender
        self.unitPosition[msg.sender][count + i] = length + i
        self.unitSlot[length + i] = count + i
    self.stakesLength = length + units
    self.unitsOf[msg.sender] = count + units
    log Staked(staker=msg.sender, amount=amount, units=units)


@internal
def _removeLastUnit(staker: address):
    # Swap and pop: the staker's last unit takes the array's last entry, whose owner's index follows it.
    count: uint256 = self.unitsOf[staker] - 1
    position: uint256 = self.unitPosition[staker][count]
    last: uint256 = self.stakesLength - 1
    if position != last:
        moved: address = self.stakeAt[last]
        movedSlot: uint256 = self.unitSlot[last]
        self.stakeAt[position] = moved
        self.unitSlot[position] = movedSlot
        self.unitPosition[moved][movedSlot] = position
    self.stakeAt[last] = empty(address)
    self.unitSlot[last] = 0
    self.unitPosition[staker][count] = 0
    self.unitsOf[staker] = count
    self.stakesLength = last


@external
@nonreentrant
def unstake(amount: uint256):
    """@notice Withdraw amount (a positive multiple of STAN_STAKE, at most the caller's stake)."""
    units: uint256 = self._unitsIn(amount)
    assert units <= self.unitsOf[msg.sender], "StakeManager: more than staked"
    # The epoch's executor is fixed before the array changes: an executor who unstakes stays this epoch's executor.
    self._updateExecutor()
    for i: uint256 in range(units, bound=MAX_UNITS_PER_CALL):
        self._removeLastUnit(msg.sender)
    log Unstaked(staker=msg.sender, amount=amount, units=units)
    assert extcall stakeToken.transfer(msg.sender, amount), "StakeManager: transfer failed"


# ---- requests ----


@external
@payable
@nonreentrant
def postRequest(target: address, callData: Bytes[MAX_CALL_DATA]) -> uint256:
    """@notice Post a Request: a call of target with callData, made by the executor through this contract; the
    fee is msg.value, held in escrow until the request is executed or cancelled. Returns the request id."""
    # This contract holds the stakes (token balance) and the escrow (native balance): a request may not call it
    # or the stake token in its own name.
    assert target != self, "StakeManager: forbidden target"
    assert target != stakeToken.address, "StakeManager: forbidden target"
    requestId: uint256 = self.requestCount
    self.requests[requestId] = Request(
        requester=msg.sender, target=target, fee=msg.value, status=REQUEST_PENDING, callData=callData
    )
    self.requestCount = requestId + 1
    log RequestPosted(requestId=requestId, requester=msg.sender, target=target, fee=msg.value)
    return requestId


@external
@nonreentrant
def executeRequest(requestId: uint256):
    """@notice Execute a pending Request: only the current epoch's executor, once; the call must succeed (else
    the whole execution reverts and the request stays pending); the fee goes to the executor."""
    # The seed's rule: every execution checks isUpdatedExec before anything else.
    self._requireExecutor(msg.sender)
    request: Request = self.requests[requestId]
    assert request.status == REQUEST_PENDING, "StakeManager: request not pending"
    self.requests[requestId].status = REQUEST_EXECUTED
    raw_call(request.target, request.callData)
    if request.fee > 0:
        raw_call(msg.sender, b"", value=request.fee)
    log RequestExecuted(
        requestId=requestId, executor=msg.sender, epoch=self.executorEpoch, fee=request.fee
    )


@external
@nonreentrant
def cancelRequest(requestId: uint256):
    """@notice Cancel a pending Request (its requester only) and refund its fee."""
    request: Request = self.requests[requestId]
    assert request.status == REQUEST_PENDING, "StakeManager: request not pending"
    assert request.requester == msg.sender, "StakeManager: not the requester"
    self.requests[requestId].status = REQUEST_CANCELLED
    if request.fee > 0:
        raw_call(msg.sender, b"", value=request.fee)
    log RequestCancelled(requestId=requestId, requester=msg.sender, fee=request.fee)
