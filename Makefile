# The commands a newcomer needs:
#   make local  set up what the playbooks need, then deploy the real pipeline on this machine ($0)
#               and verify events flow
#   make test   also set up the test toolchain and the Kubernetes test harness (built once, cached),
#               then lint, unit, emulator, local profile, bad-input, Molecule and end-to-end tests
#   make demo   start the AWS emulator, deploy the POC inventory into it and print the outputs
#   make stop   stop the local services (data kept); make purge also deletes their data
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-tests local stop purge demo test lint clean clean-cache
# Two tiers (scripts/setup.sh): what the playbooks need; --tests adds what only tests need.
setup:
	bash scripts/setup.sh

setup-tests:
	bash scripts/setup.sh --tests

PLAYBOOK := ANSIBLE_CONFIG=ansible.cfg $(BIN)/ansible-playbook

local: setup
	$(PLAYBOOK) deploy.yml -i inventories/local
	$(PLAYBOOK) verify.yml -i inventories/local

stop:
	$(PLAYBOOK) teardown.yml -i inventories/local -e teardown_confirm=local

purge:
	$(PLAYBOOK) teardown.yml -i inventories/local -e teardown_confirm=local -e teardown_purge=local

demo: setup-tests
	bash scripts/demo.sh

test: setup-tests
	bash scripts/test.sh

lint: setup-tests
	bash scripts/test.sh lint

# This clone's links and caches; the venvs and Kubernetes binaries shared by every
# clone stay in $STREAMSTACK_CACHE (make clean-cache removes them).
clean:
	rm -rf $(VENV) .venv-flink .galaxy .cache outputs dist

clean-cache:
	rm -rf "$${STREAMSTACK_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/streamstack}"
