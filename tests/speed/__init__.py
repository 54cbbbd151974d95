"""What keeps start-up fast, checked by what it imports and runs; the budgets are in bench/startup.py."""
