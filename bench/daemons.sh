# Sourced by bench/run.sh: one start_DAEMON per daemon under test.
#   start_NAME DIR FEEDERS RS CASE PREFIXES   writes its configuration into DIR, starts the
#   daemon in netns $dut at 10.99.0.1 (AS 65000), sets $started to its PID.
# The same setup everywhere: every peer passive on the DUT side (the tool
# connects when ready), import and export everything, the monitor
# 10.99.0.2 AS 64900, feeder i at 10.99.0.10 + i (feeder_addr) AS 65001+i; RS=1 makes
# every peer a transparent route-server client. No daemon touches a kernel
# routing table (BIRD has no kernel protocol, FRR and GoBGP run without zebra).

# "ADDRESS ASN" for the monitor and each feeder
peers() {
    echo "10.99.0.2 64900"
    for ((i = 0; i < $1; i++)); do echo "$(feeder_addr "$i") $((65001 + i))"; done
}

# run "$@" in the DUT namespace in the background, output to $LOG
spawn_dut() {
    ip netns exec "$dut" setsid "$@" >"$LOG" 2>&1 </dev/null &
    started=$!
}

# The policy cases' configurations come from `rbgp-bench config`, which
# writes the same policy for rbgpd and BIRD from the feeders' table.
# (w is d with RPKI validation on.)
policy_case() { [ "$1" = p ] || [ "$1" = d ] || [ "$1" = w ]; }

start_rbgpd() {
    local dir=$1 conf=$1/rbgpd.toml rs=false
    [ "$3" = 1 ] && rs=true
    mkdir -p "$dir/state"
    if policy_case "$4"; then
        "$bench" config --daemon rbgpd --case "${4/w/d}" --sessions "$2" --prefixes "$5" --dir "$dir/state" >"$conf"
        [ "$4" != w ] || printf '\n[[rpki.caches]]\naddress = "10.99.0.2"\nport = 3323\n' >>"$conf"
        LOG=$dir/rbgpd.log spawn_dut "$rbgpd" "$conf"
        return
    fi
    local import=accept_all pre=false
    [ "$4" = r ] || [ "$4" = u ] && import=rov
    # case u: routes kept as received, to run the policy again on them
    [ "$4" = u ] && pre=true
    printf '[global]\nasn = 65000\nrouter_id = "10.99.0.1"\nlisten = ["10.99.0.1:179"]\nstate_dir = "%s"\n# RFC 8212: eBGP needs a policy; the bench passes everything on.\nimport_policy = ["%s"]\nexport_policy = ["accept_all"]\n' "$dir/state" "$import" >"$conf"
    if [ "$4" = r ] || [ "$4" = v ]; then
        # RPKI on: every route validated (case r: the invalid ones tagged)
        printf '\n[[rpki.caches]]\naddress = "10.99.0.2"\nport = 3323\n' >>"$conf"
    fi
    if [ "$4" = u ]; then
        # RPKI revalidation: the invalid ones rejected
        printf '\n[[rpki.caches]]\naddress = "10.99.0.2"\nport = 3324\n' >>"$conf"
        printf '\n[[policy.definitions]]\nname = "rov"\ndefault = "accept"\n[[policy.definitions.terms]]\nname = "invalid"\nif = { rpki = ["invalid"] }\nthen = { result = "reject" }\n' >>"$conf"
    fi
    # /metrics: the UPDATE latency histogram the harness reads after the run
    printf '\n[metrics]\nlisten = "10.99.0.1:9179"\n' >>"$conf"
    if [ "$4" = t ]; then
        # MRT: a TABLE_DUMP_V2 dump every second, back to back while the
        # table arrives (each dump reads the whole RIB in pieces)
        printf '\n[mrt]\ndirectory = "%s/mrt"\ntable_interval = 1\ncompression = "gzip"\n' "$dir" >>"$conf"
    fi
    if [ "$4" = m ]; then
        # BMP: every view to one station (rbgp-bench bmp-sink)
        printf '\n[[bmp.collectors]]\naddress = "10.99.0.2"\nviews = ["pre-policy", "post-policy", "loc-rib", "adj-rib-out", "adj-rib-out-pre-policy"]\nstatistics_interval = 0\n' >>"$conf"
    fi
    if [ "$4" = r ]; then
        printf '\n[[policy.definitions]]\nname = "rov"\ndefault = "accept"\n[[policy.definitions.terms]]\nname = "invalid"\nif = { rpki = ["invalid"] }\nthen = { add_communities = ["65000:666"] }\n' >>"$conf"
    fi
    peers "$2" | while read -r addr asn; do
        printf '\n[[neighbors]]\naddress = "%s"\nremote_asn = %s\npassive = true\nroute_server_client = %s\nkeep_pre_policy = %s\n' "$addr" "$asn" "$rs" "$pre"
        # case f: only the monitor receives; a flapping feeder may come
        # back after a second every time (no growing back-off)
        [ "$4" != f ] || [ "$addr" = 10.99.0.2 ] ||
            printf 'export_policy = ["reject_all"]\nidle_hold_time = 1\nidle_hold_max = 1\n'
    done >>"$conf"
    LOG=$dir/rbgpd.log spawn_dut "$rbgpd" "$conf"
}

start_bird() {
    local dir=$1 conf=$1/bird.conf rs=""
    [ "$3" = 1 ] && rs="rs client;"
    if policy_case "$4"; then
        "$bench" config --daemon bird --case "$4" --sessions "$2" --prefixes "$5" --dir "$dir" >"$conf"
        LOG=$dir/bird.out spawn_dut bird -f -c "$conf" -s "$dir/bird.ctl"
        return
    fi
    local import="import all;" export="export all;" wait=""
    # case f: only the monitor receives; a flapping feeder may come back
    # after a second every time (no growing back-off)
    [ "$4" != f ] || { export="export none;" wait="error wait time 1, 1;"; }
    cat >"$conf" <<EOF
router id 10.99.0.1;
log "$dir/bird.log" { info, warning, error, fatal };
protocol device { }
EOF
    if [ "$4" = r ] || [ "$4" = u ]; then
        # case r: the invalid ones tagged (cache at port 3323); case u:
        # rejected (its own cache at 3324), and BIRD reloads the channel
        # when its ROA table changes (2.0.8+), which needs the import table
        local port=3323 verdict="bgp_community.add((65000, 666))"
        import="import filter rov;"
        if [ "$4" = u ]; then
            port=3324 verdict=reject
            import="import table on; import filter rov;"
        fi
        cat >>"$conf" <<EOF
roa4 table rpki4;
roa6 table rpki6;
protocol rpki cache {
  roa4 { table rpki4; };
  roa6 { table rpki6; };
  remote 10.99.0.2 port $port;
  retry keep 5; refresh keep 3600; expire keep 7200;
}
filter rov {
  if roa_check(rpki4, net, bgp_path.last) = ROA_INVALID then $verdict;
  accept;
}
EOF
    fi
    cat >>"$conf" <<EOF
template bgp peer {
  local 10.99.0.1 as 65000;
  passive on;
  $rs
  $wait
  ipv4 { $import $export };
}
EOF
    peers "$2" | while read -r addr asn; do
        if [ "$4" = f ] && [ "$addr" = 10.99.0.2 ]; then
            echo "protocol bgp p${addr//./_} from peer { neighbor $addr as $asn; ipv4 { export all; }; }"
        else
            echo "protocol bgp p${addr//./_} from peer { neighbor $addr as $asn; }"
        fi
    done >>"$conf"
    LOG=$dir/bird.out spawn_dut bird -f -c "$conf" -s "$dir/bird.ctl"
}

start_gobgp() {
    local dir=$1 conf=$1/gobgpd.toml rs=false
    [ "$3" = 1 ] && rs=true
    printf '[global.config]\n  as = 65000\n  router-id = "10.99.0.1"\n  local-address-list = ["10.99.0.1"]\n' >"$conf"
    peers "$2" | while read -r addr asn; do
        cat <<EOF
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$addr"
    peer-as = $asn
  [neighbors.transport.config]
    passive-mode = true
  [neighbors.route-server.config]
    route-server-client = $rs
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
EOF
    done >>"$conf"
    # the API on the namespace's own loopback, no pprof listener
    LOG=$dir/gobgpd.log spawn_dut gobgpd -f "$conf" --api-hosts 127.0.0.1:50051 --pprof-disable -p
}

start_frr() {
    local dir=$1 conf=$1/frr.conf
    {
        # traditional defaults, no zebra: skip the connected check, no policy
        # needed for eBGP, no advertisement interval (as the others)
        printf 'frr defaults traditional\nhostname rbb-frr\nlog file %s/bgpd.log informational\n!\n' "$dir"
        printf 'router bgp 65000\n bgp router-id 10.99.0.1\n no bgp ebgp-requires-policy\n'
        peers "$2" | while read -r addr asn; do
            printf ' neighbor %s remote-as %s\n neighbor %s passive\n neighbor %s disable-connected-check\n neighbor %s advertisement-interval 0\n' \
                "$addr" "$asn" "$addr" "$addr" "$addr"
        done
        printf ' address-family ipv4 unicast\n'
        if [ "$3" = 1 ]; then
            peers "$2" | while read -r addr _; do printf '  neighbor %s route-server-client\n' "$addr"; done
        fi
        printf ' exit-address-family\nexit\n'
    } >"$conf"
    LOG=$dir/frr.out spawn_dut /usr/lib/frr/bgpd -f "$conf" -i "$dir/bgpd.pid" --vty_socket "$dir" \
        -z "$dir/zserv.api" -Z -S -l 10.99.0.1 -p 179 -P 0
}
