# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title StakeToken
@license Apache-2.0
@notice A minimal ERC-20 (EIP-20) token: the asset StakeManager stakes. The constructor mints the whole initial
        supply to the deployer; there is no other mint and no burn. An allowance of max_value(uint256) is
        treated as infinite (transferFrom leaves it unchanged), as OpenZeppelin's ERC20 does.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed

implements: IERC20
implements: IERC20Detailed


event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


name: public(String[32])
symbol: public(String[16])
decimals: public(constant(uint8)) = 18
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])


@deploy
def __init__(token_name: String[32], token_symbol: String[16], initial_supply: uint256):
    self.name = token_name
    self.symbol = token_symbol
    self.totalSupply = initial_supply
    self.balanceOf[msg.sender] = initial_supply
    log Transfer(sender=empty(address), receiver=msg.sender, value=initial_supply)


@external
def transfer(receiver: address, amount: uint256) -> bool:
    self._transfer(msg.sender, receiver, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def transferFrom(owner: address, receiver: address, amount: uint256) -> bool:
    allowed: uint256 = self.allowance[owner][msg.sender]
    if allowed != max_value(uint256):
        assert allowed >= amount, "StakeToken: allowance exceeded"
        self.allowance[owner][msg.sender] = allowed - amount
    self._transfer(owner, receiver, amount)
    return True


@internal
def _transfer(sender: address, receiver: address, amount: uint256):
    # A transfer to the zero address would silently burn: refused, as OpenZeppelin's ERC20 refuses it.
    assert receiver != empty(address), "StakeToken: transfer to the zero address"
    balance: uint256 = self.balanceOf[sender]
    assert balance >= amount, "StakeToken: balance exceeded"
    self.balanceOf[sender] = balance - amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=sender, receiver=receiver, value=amount)
