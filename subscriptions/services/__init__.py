"""Every write of subscriptions: groups, price list, subscriptions (subscriptions), the billing
run (billing), accruals (accruals)."""
