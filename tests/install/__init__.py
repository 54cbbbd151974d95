"""Tests of bale.install: linking wheels, the site-packages snapshot, uninstall, bytecode."""
