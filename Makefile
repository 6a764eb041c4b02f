# The commands a newcomer needs:
#   make local  set up, then deploy the real pipeline on this machine ($0) and verify events flow
#   make test   lint, unit, emulator, local profile, bad-input, Molecule and end-to-end tests
#   make demo   set up, start the AWS emulator, deploy the POC inventory into it and print the outputs
#   make stop   stop the local services (data kept); make purge also deletes their data
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup local stop purge demo test lint unit integration molecule clean
setup:
	bash scripts/setup.sh

PLAYBOOK := ANSIBLE_CONFIG=ansible.cfg $(BIN)/ansible-playbook

local: setup
	$(PLAYBOOK) deploy.yml -i inventories/local
	$(PLAYBOOK) verify.yml -i inventories/local

stop:
	$(PLAYBOOK) teardown.yml -i inventories/local -e teardown_confirm=local

purge:
	$(PLAYBOOK) teardown.yml -i inventories/local -e teardown_confirm=local -e teardown_purge=local

demo: setup
	bash scripts/demo.sh

test: setup
	bash scripts/test.sh

lint: setup
	bash scripts/test.sh lint

clean:
	rm -rf $(VENV) .venv-flink .galaxy .cache outputs dist
