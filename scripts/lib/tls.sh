# shellcheck shell=bash disable=SC2154 # globals come from scripts/services and the files it sources before this one
# tls: stunnel in front of ArcadeDB's Bolt port, so the client's `bolt+s`
# path is tested against a real TLS server with a test CA. Certificates are
# made once with openssl into .services/tls/ (and again when near expiry).

tls_dir=$state/tls
tls_port=${SLUICE_TLS_PORT:-17689}
tls_stunnel=/usr/bin/stunnel4

tls_log() { echo "$state/tls.log"; }
tls_port() { echo "port $tls_port -> $arcade_bolt_port"; }
tls_pid() { pid_from_file "$state/tls.pid" "$tls_stunnel"; }

# A TLS handshake that verifies the chain and the name `localhost`, then Bolt
# through the tunnel to ArcadeDB.
tls_ready() {
    bolt_probe --port "$tls_port" --tls --ca "$tls_dir/ca.pem" --server-name localhost \
        --user root --password "$arcade_password" --database "$arcade_database"
}

# CA_NAME -> CA_NAME.pem, CA_NAME.key: a self-signed test CA.
tls_make_ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
        -keyout "$tls_dir/$1.key" -out "$tls_dir/$1.pem" -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

tls_make_certs() {
    # Regenerate everything together when the server cert is missing or
    # expires within a day, so ca.pem always matches server.pem.
    if [[ -f $tls_dir/server.pem && -f $tls_dir/other-ca.pem ]] &&
        openssl x509 -checkend 86400 -noout -in "$tls_dir/server.pem" >/dev/null 2>&1; then
        return 0
    fi
    say "tls: creating test CA and server certificate in $tls_dir"
    mkdir -p "$tls_dir"
    chmod 0755 "$tls_dir"
    if ! {
        tls_make_ca ca "sluice test CA" &&
            tls_make_ca other-ca "sluice unrelated test CA" &&
            openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$tls_dir/server.key" \
                -out "$tls_dir/server.csr" -subj "/CN=localhost" 2>/dev/null &&
            openssl x509 -req -sha256 -days 825 -in "$tls_dir/server.csr" \
                -CA "$tls_dir/ca.pem" -CAkey "$tls_dir/ca.key" -CAcreateserial \
                -out "$tls_dir/server.pem" -extfile <(
                    printf '%s\n' "basicConstraints=critical,CA:FALSE" \
                        "keyUsage=critical,digitalSignature,keyEncipherment" \
                        "extendedKeyUsage=serverAuth" \
                        "subjectAltName=DNS:localhost,IP:127.0.0.1"
                ) 2>/dev/null
    }; then
        die "tls: openssl failed to create the test certificates in $tls_dir"
    fi
    rm -f "$tls_dir/server.csr" "$tls_dir/ca.srl"
}

tls_launch() {
    [[ -x $tls_stunnel ]] || die "tls: $tls_stunnel not found (run scripts/setup: Debian package stunnel4)"
    port_free_or_die tls "$tls_port" SLUICE_TLS_PORT
    tls_make_certs
    # Foreground (stunnel's own daemon mode would hide the pid); no pid file
    # of its own: spawn gives us the pid.
    cat >"$tls_dir/stunnel.conf" <<EOF
; written by scripts/services
foreground = yes
pid =
debug = notice
[bolt]
accept = 127.0.0.1:$tls_port
connect = 127.0.0.1:$arcade_bolt_port
cert = $tls_dir/server.pem
key = $tls_dir/server.key
EOF
    spawn "$(tls_log)" "$tls_dir" "$tls_stunnel" "$tls_dir/stunnel.conf" >"$state/tls.pid"
}

tls_wait() {
    await "$(cat "$state/tls.pid")" tls_ready
}

tls_stop() {
    local pid
    pid=$(tls_pid) || return 0
    terminate "$pid" "$tls_stunnel"
}

tls_env() {
    cat <<EOF
export SLUICE_TEST_TLS_URL=bolt+s://localhost:$tls_port
export SLUICE_TEST_TLS_CA=$(printf %q "$tls_dir/ca.pem")
export SLUICE_TEST_TLS_OTHER_CA=$(printf %q "$tls_dir/other-ca.pem")
EOF
}
