# Make target for the test OpenSSH server; included by the top-level Makefile (`include tests/ssh/ssh.mk`) and run
# from `deps`.
#
#   make ssh-deps   install Debian's openssh-server (sshd) and openssh-client (ssh-keygen) if missing
#                   (apt-get; sudo only when not root). The tests start sshd themselves (tests/ssh/sshd.py).

SSH_APT_PACKAGES := openssh-server openssh-client

.PHONY: ssh-deps

ssh-deps:
	@missing=""; \
	for pkg in $(SSH_APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then \
		echo "ssh-deps: $(SSH_APT_PACKAGES) already installed"; \
	else \
		if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
		echo "ssh-deps: installing$$missing"; \
		$$sudo apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
