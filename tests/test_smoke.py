from decimal import Decimal


def test_account_in_both_modes(client):
    account = client.account()
    assert account.username == "demo-merchant"
    assert account.available_postage == Decimal("100.00")
