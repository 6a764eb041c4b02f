# The two commands a newcomer needs:
#   make demo   set up, start the AWS emulator, deploy the POC inventory into it and print the outputs
#   make test   lint, unit, emulator, bad-input, Molecule and end-to-end tests
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint unit integration molecule clean
setup:
	bash scripts/setup.sh

demo: setup
	bash scripts/demo.sh

test: setup
	bash scripts/test.sh

lint: setup
	bash scripts/test.sh lint

clean:
	rm -rf $(VENV) .galaxy .cache outputs
