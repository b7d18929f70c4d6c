# Make targets for the vCenter simulator; included by the top-level Makefile (`include tests/vcsim/vcsim.mk`).
#
#   make vcsim-deps   install Go and Debian's govmomi sources if missing (apt-get; sudo only when not root)
#   make vcsim        build tests/vcsim/bin/driftguard-vcsim (a no-op when the Go sources are unchanged)

VCSIM_APT_PACKAGES := golang-go golang-github-vmware-govmomi-dev
# The harness needs only the standard library, so any python3 will do when the venv is not there yet.
VCSIM_PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)

.PHONY: vcsim-deps vcsim

vcsim-deps:
	@missing=""; \
	for pkg in $(VCSIM_APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then \
		echo "vcsim-deps: $(VCSIM_APT_PACKAGES) already installed"; \
	else \
		if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
		echo "vcsim-deps: installing$$missing"; \
		$$sudo apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

vcsim:
	$(VCSIM_PYTHON) -c 'from tests.vcsim.harness import build; print(build())'
