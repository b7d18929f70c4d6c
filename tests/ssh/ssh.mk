# Make target for the test OpenSSH server; included by the top-level Makefile (`include tests/ssh/ssh.mk`) and run
# from `deps`.
#
#   make ssh-deps   install Debian's openssh-server (sshd) and openssh-client (ssh-keygen) if missing
#                   (apt-get; sudo only when not root). The tests start sshd themselves (tests/ssh/sshd.py).

SSH_APT_PACKAGES := openssh-server openssh-client

.PHONY: ssh-deps

ssh-deps:
	bash scripts/apt-ensure.sh $(SSH_APT_PACKAGES)
