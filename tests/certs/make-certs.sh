#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Make throwaway test PKI with openssl (EC P-256, valid 2 days) in DIR:
#   ca.crt/ca.key              the test CA
#   server.crt/server.key      CN=localhost, SAN DNS:localhost, IP:127.0.0.1
#   admin.crt/admin.key        subject CN=admin,O=edgepath
#   reader.crt/reader.key      CN=reader,O=edgepath, SAN URI:spiffe://edgepath/reader
#   nobody.crt/nobody.key      CN=nobody,O=edgepath (trusted, no role)
#   agent.crt/agent.key        CN=agent,O=edgepath (the registry role's tests)
#   rogue-ca.*, rogue.crt/key  CN=admin,O=edgepath from another CA
#   expired.crt/key            CN=admin,O=edgepath of the test CA, valid from
#                              3 days ago to 1 day ago
#   notyet.crt/key             CN=admin,O=edgepath of the test CA, valid from
#                              1 day on
# Usage: make-certs.sh DIR          everything
#        make-certs.sh DIR server   only a new server cert/key (new serial)
# Nothing here is a secret; never commit the output.
set -euo pipefail

dir=${1:?usage: make-certs.sh DIR [server]}
what=${2:-all}
mkdir -p "$dir"
cd "$dir"

key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$1.key" 2>/dev/null
	chmod 600 "$1.key"
}

ca() { # name subject
	key "$1"
	openssl req -x509 -new -key "$1.key" -out "$1.crt" -days 2 \
		-subj "$2" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

leaf() { # name subject ca extensions...
	local name=$1 subj=$2 issuer=$3
	shift 3
	key "$name"
	printf '%s\n' "basicConstraints=CA:FALSE" "$@" >"$name.ext"
	openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" \
		2>/dev/null
	openssl x509 -req -in "$name.csr" -CA "$issuer.crt" \
		-CAkey "$issuer.key" -set_serial "0x$(openssl rand -hex 8)" \
		-days 2 -extfile "$name.ext" -out "$name.crt" 2>/dev/null
	rm -f "$name.csr" "$name.ext"
}

# dated NAME SUBJECT START END: a client certificate of the test CA valid
# from START to END (openssl ca's YYYYMMDDHHMMSSZ; openssl x509 of OpenSSL
# 3.0 cannot set either date), through a throwaway openssl ca database.
dated() {
	local name=$1 subj=$2
	mkdir -p ca.db
	: >ca.db/index.txt
	openssl rand -hex 8 >ca.db/serial
	cat >ca.db/ca.cnf <<EOF
[ca]
default_ca = test_ca
[test_ca]
database = ca.db/index.txt
new_certs_dir = ca.db
serial = ca.db/serial
default_md = sha256
policy = any
unique_subject = no
[any]
organizationName = supplied
commonName = supplied
[ext]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
EOF
	key "$name"
	openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" \
		2>/dev/null
	openssl ca -batch -config ca.db/ca.cnf -cert ca.crt -keyfile ca.key \
		-startdate "$3" -enddate "$4" -extensions ext -notext \
		-in "$name.csr" -out "$name.crt" 2>/dev/null
	rm -rf "$name.csr" ca.db
}

when() { # a date(1) offset in openssl ca's form
	date -u -d "$1" +%Y%m%d%H%M%SZ
}

server() {
	leaf server "/CN=localhost" ca "extendedKeyUsage=serverAuth" \
		"subjectAltName=DNS:localhost,IP:127.0.0.1"
}

if [ "$what" = server ]; then
	server
	exit 0
fi

ca ca "/O=edgepath-test/CN=edgepath test CA"
server
leaf admin "/O=edgepath/CN=admin" ca "extendedKeyUsage=clientAuth"
leaf reader "/O=edgepath/CN=reader" ca "extendedKeyUsage=clientAuth" \
	"subjectAltName=URI:spiffe://edgepath/reader"
leaf nobody "/O=edgepath/CN=nobody" ca "extendedKeyUsage=clientAuth"
leaf agent "/O=edgepath/CN=agent" ca "extendedKeyUsage=clientAuth"
ca rogue-ca "/O=rogue/CN=rogue CA"
leaf rogue "/O=edgepath/CN=admin" rogue-ca "extendedKeyUsage=clientAuth"
dated expired "/O=edgepath/CN=admin" "$(when '-3 days')" "$(when '-1 day')"
dated notyet "/O=edgepath/CN=admin" "$(when '+1 day')" "$(when '+2 days')"
