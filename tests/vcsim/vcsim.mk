# Make targets for the vCenter simulator; included by the top-level Makefile (`include tests/vcsim/vcsim.mk`).
#
#   make vcsim-deps   install Go and Debian's govmomi sources if missing (apt-get; sudo only when not root)
#   make vcsim        build tests/vcsim/bin/driftguard-vcsim (a no-op when the Go sources are unchanged)

VCSIM_APT_PACKAGES := golang-go golang-github-vmware-govmomi-dev
# The harness needs only the standard library, so any python3 will do when the venv is not there yet.
VCSIM_PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)

.PHONY: vcsim-deps vcsim

vcsim-deps:
	bash scripts/apt-ensure.sh $(VCSIM_APT_PACKAGES)

vcsim:
	$(VCSIM_PYTHON) -c 'from tests.vcsim.harness import build; print(build())'
