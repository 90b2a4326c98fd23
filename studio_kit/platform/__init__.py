"""Platform: tenants, API keys, usage metering, price plans, invoices and quotas."""
