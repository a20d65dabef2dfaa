# northd/testdata/topologies.sh — the NB topologies of the golden tests, as ovn-nbctl
# argument lists (one transaction each). Sourced by gen-golden.sh (against OVN 23.03) and
# parsed by northd's golden test (against loom), so both build exactly the same intent.
# Format: a line "topology NAME" starts a topology; every following non-empty line up to
# the next "topology" is one ovn-nbctl invocation's arguments.

topology two-ports
ls-add sw0
lsp-add sw0 p1 -- lsp-set-addresses p1 "0a:00:00:00:00:01 10.0.0.1" -- lsp-set-port-security p1 "0a:00:00:00:00:01 10.0.0.1"
lsp-add sw0 p2 -- lsp-set-addresses p2 "0a:00:00:00:00:02 10.0.0.2 fd00::2"

topology router-snat
ls-add ls1 -- ls-add ls2
lr-add lr1 -- set Logical_Router lr1 options:chassis=hv1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lrp2 00:00:00:00:02:01 10.0.2.1/24
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add ls2 ls2-lr1 -- lsp-set-type ls2-lr1 router -- lsp-set-addresses ls2-lr1 router -- lsp-set-options ls2-lr1 router-port=lrp2
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lsp-add ls2 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:02:0a 10.0.2.10"
lr-nat-add lr1 snat 10.0.2.100 10.0.1.0/24
lr-route-add lr1 0.0.0.0/0 10.0.2.254

topology port-group-acls
ls-add ls1
lsp-add ls1 p1 -- lsp-set-addresses p1 "0a:00:00:00:00:01 10.0.0.1" -- lsp-set-port-security p1 "0a:00:00:00:00:01 10.0.0.1"
lsp-add ls1 p2 -- lsp-set-addresses p2 "0a:00:00:00:00:02 10.0.0.2" -- lsp-set-port-security p2 "0a:00:00:00:00:02 10.0.0.2"
lsp-add ls1 p3 -- lsp-set-addresses p3 "0a:00:00:00:00:03 10.0.0.3"
pg-add pg1 p1 p2
--type=port-group acl-add pg1 to-lport 1002 "outport == @pg1 && ip4 && tcp.dst == 22" allow-related
--type=port-group acl-add pg1 to-lport 1002 'outport == @pg1 && ip4 && ip4.src == $pg1_ip4' allow-related
--type=port-group acl-add pg1 to-lport 1001 "outport == @pg1 && ip" drop

topology load-balancer
ls-add sw0
lsp-add sw0 p1 -- lsp-set-addresses p1 "0a:00:00:00:00:01 10.0.0.1"
lsp-add sw0 p2 -- lsp-set-addresses p2 "0a:00:00:00:00:02 10.0.0.2"
lb-add lb1 10.0.0.100:80 "10.0.0.1:8080,10.0.0.2:8080" tcp
ls-lb-add sw0 lb1

topology router-plain
ls-add ls1 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.1.254/24
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10" -- lsp-set-port-security vm1 "0a:00:00:00:01:0a 10.0.1.10"
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:01:0b 10.0.1.11 fd01::b"
pg-add pg1 vm1 vm2
--type=port-group acl-add pg1 to-lport 1002 'outport == @pg1 && ip4 && ip4.src == $pg1_ip4' allow-related

topology acls-stateless
ls-add ls1
lsp-add ls1 p1 -- lsp-set-addresses p1 "0a:00:00:00:00:01 10.0.0.1"
lsp-add ls1 p2 -- lsp-set-addresses p2 "0a:00:00:00:00:02" unknown
acl-add ls1 from-lport 1000 "ip4.src == 10.0.0.1 && udp" drop
acl-add ls1 from-lport 1001 "ip4.src == 10.0.0.1 && tcp" allow
acl-add ls1 to-lport 900 "ip4.dst == 10.0.0.2" allow-stateless

topology ecmp-routes
ls-add ls1 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.1.254/24
lrp-add lr1 lrp2 00:00:01:00:00:02 10.0.2.254/24
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lr-route-add lr1 192.168.0.0/16 10.0.2.1
--ecmp lr-route-add lr1 0.0.0.0/0 10.0.1.1
--ecmp lr-route-add lr1 0.0.0.0/0 10.0.2.2
lr-route-add lr1 172.16.5.0/24 10.0.1.7 lrp1

topology dhcp
ls-add ls1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10"
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:0b 10.0.0.11"
--id=@d create DHCP_Options cidr=10.0.0.0/24 options:lease_time=3600 options:router=10.0.0.1 options:server_id=10.0.0.1 options:server_mac=c0:ff:ee:00:00:01 -- set Logical_Switch_Port vm1 dhcpv4_options=@d

topology router-dnat
ls-add ls1 -- ls-add ext
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-ls1 00:00:00:00:01:01 10.0.1.1/24
lrp-add gw1 gw1-ext 00:00:00:00:ff:01 172.16.0.1/24
lsp-add ls1 ls1-gw1 -- lsp-set-type ls1-gw1 router -- lsp-set-addresses ls1-gw1 router -- lsp-set-options ls1-gw1 router-port=gw1-ls1
lsp-add ext ext-gw1 -- lsp-set-type ext-gw1 router -- lsp-set-addresses ext-gw1 router -- lsp-set-options ext-gw1 router-port=gw1-ext
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lr-nat-add gw1 dnat_and_snat 172.16.0.10 10.0.1.10
lr-nat-add gw1 dnat 172.16.0.20 10.0.1.20

topology router-policy
ls-add ls1 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.1.254/24
lrp-add lr1 lrp2 00:00:01:00:00:02 10.0.2.254/24
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lr-policy-add lr1 100 "ip4.src == 10.0.1.5" drop
lr-policy-add lr1 200 "ip4.src == 10.0.1.0/24 && tcp.dst == 80" allow
lr-policy-add lr1 300 "ip4.dst == 192.168.0.0/16" reroute 10.0.2.1

topology router-lb
ls-add ls1
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-ls1 00:00:00:00:01:01 10.0.1.1/24
lsp-add ls1 ls1-gw1 -- lsp-set-type ls1-gw1 router -- lsp-set-addresses ls1-gw1 router -- lsp-set-options ls1-gw1 router-port=gw1-ls1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lb-add lb1 172.16.0.100:80 "10.0.1.10:8080" tcp
lr-lb-add gw1 lb1

topology router-ipv6
ls-add ls1 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.1.254/24 fd01::1/64
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10 fd01::a"

topology localnet
ls-add pub
lsp-add pub ln-pub -- lsp-set-type ln-pub localnet -- lsp-set-addresses ln-pub unknown -- lsp-set-options ln-pub network_name=physnet1
lsp-add pub vm1 -- lsp-set-addresses vm1 "0a:00:00:00:05:01 192.168.5.10"
pg-add pgl vm1
--type=port-group acl-add pgl from-lport 1001 "inport == @pgl && ip" allow-related

topology disabled-port
ls-add ls1
lsp-add ls1 p1 -- lsp-set-addresses p1 "0a:00:00:00:00:01 10.0.0.1" -- lsp-set-enabled p1 disabled
lsp-add ls1 p2 -- lsp-set-addresses p2 "0a:00:00:00:00:02 10.0.0.2"

topology acl-reject
ls-add ls1
lsp-add ls1 p1 -- lsp-set-addresses p1 "0a:00:00:00:00:01 10.0.0.1"
acl-add ls1 to-lport 1000 "ip4.dst == 10.0.0.1 && tcp.dst == 23" reject
acl-add ls1 from-lport 1000 "ip4.src == 10.0.0.1 && udp" reject

topology acl-reject-stateful
ls-add ls1
lsp-add ls1 p1 -- lsp-set-addresses p1 "0a:00:00:00:00:01 10.0.0.1"
acl-add ls1 to-lport 1000 "ip4.dst == 10.0.0.1 && tcp.dst == 23" reject
acl-add ls1 from-lport 1001 "ip4.src == 10.0.0.1" allow-related

topology acl-misc
ls-add ls1
lsp-add ls1 p1 -- lsp-set-addresses p1 "0a:00:00:00:00:01 10.0.0.1"
acl-add ls1 from-lport 1001 "ip4.src == 10.0.0.1" allow-related
acl-add ls1 from-lport 1002 "ip4.src == 10.0.0.2" allow
--label=1234 acl-add ls1 to-lport 1003 "ip4.dst == 10.0.0.3" allow-related
--apply-after-lb acl-add ls1 from-lport 1004 "ip4.src == 10.0.0.4" drop
acl-add ls1 to-lport 1005 "ip4.dst == 10.0.0.5" allow-stateless

topology ref-tenant
ls-add ls1 -- lr-add lr1 -- lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.1.254/24
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lsp-add ls1 p1-1 -- lsp-set-addresses p1-1 "0a:00:01:00:00:01 10.0.1.2" -- lsp-set-port-security p1-1 "0a:00:01:00:00:01 10.0.1.2"
lsp-add ls1 p1-2 -- lsp-set-addresses p1-2 "0a:00:01:00:00:02 10.0.1.3" -- lsp-set-port-security p1-2 "0a:00:01:00:00:02 10.0.1.3"
lsp-add ls1 p1-3 -- lsp-set-addresses p1-3 "0a:00:01:00:00:03 10.0.1.4" -- lsp-set-port-security p1-3 "0a:00:01:00:00:03 10.0.1.4"
pg-add pg1 p1-1 p1-2 p1-3
--type=port-group acl-add pg1 to-lport 1002 'outport == @pg1 && ip4 && tcp.dst == 22' allow-related
--type=port-group acl-add pg1 to-lport 1002 'outport == @pg1 && ip4 && ip4.src == $pg1_ip4' allow-related
--type=port-group acl-add pg1 to-lport 1001 'outport == @pg1 && ip' drop

topology dgp-plain
ls-add ls1 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24
lrp-set-gateway-chassis lr1-public hv1 20
lrp-set-gateway-chassis lr1-public hv2 10
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add public ln-public -- lsp-set-type ln-public localnet -- lsp-set-addresses ln-public unknown -- lsp-set-options ln-public network_name=physnet1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lr-route-add lr1 0.0.0.0/0 172.16.0.254

topology dgp-nat
ls-add ls1 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24
lrp-set-gateway-chassis lr1-public hv1 20
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add public ln-public -- lsp-set-type ln-public localnet -- lsp-set-addresses ln-public unknown -- lsp-set-options ln-public network_name=physnet1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:01:0b 10.0.1.11"
lr-nat-add lr1 snat 172.16.0.1 10.0.1.0/24
lr-nat-add lr1 dnat_and_snat 172.16.0.10 10.0.1.10
lr-nat-add lr1 dnat_and_snat 172.16.0.11 10.0.1.11 vm2 0a:00:00:00:ff:0b
lr-nat-add lr1 dnat 172.16.0.20 10.0.1.20
lr-route-add lr1 0.0.0.0/0 172.16.0.254

topology dgp-lb
ls-add ls1 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24
lrp-set-gateway-chassis lr1-public hv1 20
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lb-add lb1 172.16.0.100:80 "10.0.1.10:8080" tcp
lr-lb-add lr1 lb1

topology dns
ls-add ls1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10 fd00::a"
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:0b 10.0.0.11"
--id=@d create DNS 'records:vm1.ovn.org="10.0.0.10 fd00::a"' records:vm2.ovn.org=10.0.0.11 -- set Logical_Switch ls1 dns_records=@d

topology qos
ls-add ls1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10"
qos-add ls1 from-lport 100 "ip4.src == 10.0.0.10" dscp=12
qos-add ls1 to-lport 200 "ip4.dst == 10.0.0.10" rate=1000 burst=100
qos-add ls1 from-lport 300 "ip4.src == 10.0.0.10 && udp" rate=2000 dscp=20

topology acl-log
ls-add ls1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10"
meter-add m1 drop 10 pktps
--log --name=ssh --severity=warning acl-add ls1 to-lport 1000 "ip4 && tcp.dst == 22" allow-related
--log --meter=m1 acl-add ls1 from-lport 1001 "ip4.src == 10.0.0.10 && udp" drop
--log --name=rej --severity=alert acl-add ls1 to-lport 1002 "ip4 && tcp.dst == 23" reject
--log acl-add ls1 from-lport 900 "ip4" allow
--log --severity=debug acl-add ls1 to-lport 800 "ip6" allow-stateless

topology localport
ls-add ls1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10"
lsp-add ls1 meta -- lsp-set-type meta localport -- lsp-set-addresses meta "0a:00:00:00:00:fe 10.0.0.254"

topology external-port
ls-add ls1 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.0.1/24
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lsp-add ls1 ln1 -- lsp-set-type ln1 localnet -- lsp-set-addresses ln1 unknown -- lsp-set-options ln1 network_name=physnet1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10"
lsp-add ls1 ext1 -- lsp-set-type ext1 external -- lsp-set-addresses ext1 "0a:00:00:00:00:e1 10.0.0.50"
--id=@c create HA_Chassis chassis_name=hv1 priority=30 -- --id=@g create HA_Chassis_Group name=hagrp ha_chassis=@c -- set Logical_Switch_Port ext1 ha_chassis_group=@g
--id=@d create DHCP_Options cidr=10.0.0.0/24 options:lease_time=3600 options:router=10.0.0.1 options:server_id=10.0.0.1 options:server_mac=c0:ff:ee:00:00:01 -- set Logical_Switch_Port ext1 dhcpv4_options=@d

topology virtual-port
ls-add ls1 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.0.1/24
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10"
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:0b 10.0.0.11"
lsp-add ls1 vip -- lsp-set-type vip virtual -- lsp-set-addresses vip "0a:00:00:00:00:aa 10.0.0.100" -- lsp-set-options vip virtual-ip=10.0.0.100 virtual-parents=vm1,vm2

topology dhcpv6
ls-add ls1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10 fd00::a"
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:0b fd00::b"
--id=@d create DHCP_Options 'cidr="fd00::/64"' options:server_id=00:00:00:00:10:02 -- set Logical_Switch_Port vm1 dhcpv6_options=@d
--id=@e create DHCP_Options 'cidr="fd00::/64"' options:server_id=00:00:00:00:10:02 options:dhcpv6_stateless=true 'options:dns_server="{fd00::53}"' -- set Logical_Switch_Port vm2 dhcpv6_options=@e

topology router-ra
ls-add ls1 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.1.254/24 fd01::1/64
set Logical_Router_Port lrp1 ipv6_ra_configs:address_mode=slaac ipv6_ra_configs:send_periodic=true ipv6_ra_configs:max_interval=30 ipv6_ra_configs:min_interval=10
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10 fd01::a"

topology dgp-openstack
ls-add ls1 -- ls-add ls2 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24 fd01::1/64
lrp-add lr1 lrp2 00:00:00:00:02:01 10.0.2.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24 2001:db8::1/64
--id=@c1 create HA_Chassis chassis_name=hv1 priority=30 -- --id=@c2 create HA_Chassis chassis_name=hv2 priority=20 -- --id=@g create HA_Chassis_Group name=gw-group ha_chassis=@c1,@c2 -- set Logical_Router_Port lr1-public ha_chassis_group=@g
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add ls2 ls2-lr1 -- lsp-set-type ls2-lr1 router -- lsp-set-addresses ls2-lr1 router -- lsp-set-options ls2-lr1 router-port=lrp2
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add public ln-public -- lsp-set-type ln-public localnet -- lsp-set-addresses ln-public unknown -- lsp-set-options ln-public network_name=physnet1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10 fd01::a"
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:01:0b 10.0.1.11"
lsp-add ls2 vm3 -- lsp-set-addresses vm3 "0a:00:00:00:02:0a 10.0.2.10"
lr-nat-add lr1 snat 172.16.0.1 10.0.1.0/24
lr-nat-add lr1 snat 172.16.0.2 10.0.2.0/24
lr-nat-add lr1 dnat_and_snat 172.16.0.10 10.0.1.10
lr-nat-add lr1 dnat_and_snat 172.16.0.13 10.0.2.10 vm3 0a:00:00:00:ff:0d
lb-add lb1 172.16.0.100:80 "10.0.1.10:8080,10.0.1.11:8080" tcp
lb-add lb2 172.16.0.101 "10.0.2.10,10.0.1.11"
lr-lb-add lr1 lb1 -- lr-lb-add lr1 lb2
lr-route-add lr1 0.0.0.0/0 172.16.0.254

topology dgp-multi
ls-add ls1 -- ls-add pub1 -- ls-add pub2 -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lr1-pub1 00:00:00:00:f1:01 172.16.1.1/24
lrp-add lr1 lr1-pub2 00:00:00:00:f2:01 172.16.2.1/24
lrp-set-gateway-chassis lr1-pub1 hv1 20
lrp-set-gateway-chassis lr1-pub2 hv2 20
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add pub1 pub1-lr1 -- lsp-set-type pub1-lr1 router -- lsp-set-addresses pub1-lr1 router -- lsp-set-options pub1-lr1 router-port=lr1-pub1
lsp-add pub2 pub2-lr1 -- lsp-set-type pub2-lr1 router -- lsp-set-addresses pub2-lr1 router -- lsp-set-options pub2-lr1 router-port=lr1-pub2
lsp-add pub1 ln-pub1 -- lsp-set-type ln-pub1 localnet -- lsp-set-addresses ln-pub1 unknown -- lsp-set-options ln-pub1 network_name=physnet1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
--gateway-port=lr1-pub1 lr-nat-add lr1 snat 172.16.1.1 10.0.1.0/24
--gateway-port=lr1-pub2 lr-nat-add lr1 dnat_and_snat 172.16.2.10 10.0.1.10

topology mixed-switch
ls-add ls1 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.0.1/24 fd00::1/64
set Logical_Router_Port lrp1 ipv6_ra_configs:address_mode=dhcpv6_stateful ipv6_ra_configs:mtu=1400 ipv6_ra_configs:router_preference=HIGH
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lsp-add ls1 ln1 -- lsp-set-type ln1 localnet -- lsp-set-addresses ln1 unknown -- lsp-set-options ln1 network_name=physnet1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10 fd00::a" -- lsp-set-port-security vm1 "0a:00:00:00:00:0a 10.0.0.10 fd00::a"
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:0b 10.0.0.11"
lsp-add ls1 meta -- lsp-set-type meta localport -- lsp-set-addresses meta "0a:00:00:00:00:fe 10.0.0.254"
lsp-add ls1 ext1 -- lsp-set-type ext1 external -- lsp-set-addresses ext1 "0a:00:00:00:00:e1 10.0.0.50 fd00::50"
--id=@c create HA_Chassis chassis_name=hv1 priority=30 -- --id=@g create HA_Chassis_Group name=hagrp ha_chassis=@c -- set Logical_Switch_Port ext1 ha_chassis_group=@g
lsp-add ls1 vip -- lsp-set-type vip virtual -- lsp-set-addresses vip "0a:00:00:00:00:aa 10.0.0.100" -- lsp-set-options vip virtual-ip=10.0.0.100 virtual-parents=vm1,vm2
--id=@d create DHCP_Options cidr=10.0.0.0/24 options:lease_time=3600 options:router=10.0.0.1 options:server_id=10.0.0.1 options:server_mac=c0:ff:ee:00:00:01 -- set Logical_Switch_Port ext1 dhcpv4_options=@d -- set Logical_Switch_Port vm2 dhcpv4_options=@d
--id=@e create DHCP_Options 'cidr="fd00::/64"' options:server_id=00:00:00:00:10:02 -- set Logical_Switch_Port vm1 dhcpv6_options=@e -- set Logical_Switch_Port ext1 dhcpv6_options=@e
--id=@n create DNS records:vm1.ovn.org=10.0.0.10 -- set Logical_Switch ls1 dns_records=@n
qos-add ls1 to-lport 100 "ip4.dst == 10.0.0.10" dscp=10
--log --name=web acl-add ls1 to-lport 1000 "ip4 && tcp.dst == 80" allow-related
--log --severity=notice acl-add ls1 from-lport 1001 "ip4.src == 10.0.0.11 && udp" reject
--log --apply-after-lb acl-add ls1 from-lport 1002 "ip4.src == 10.0.0.12" drop
lb-add lb1 10.0.0.200:80 "10.0.0.10:8080,10.0.0.11:8080" tcp
ls-lb-add ls1 lb1

topology nat-ipv6
ls-add ls1 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24 fd01::1/64
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24 2001:db8::1/64
lrp-set-gateway-chassis lr1-public hv1 20
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10 fd01::a"
lr-nat-add lr1 snat 2001:db8::1 fd01::/64
lr-nat-add lr1 dnat_and_snat 2001:db8::10 fd01::a
lr-nat-add lr1 snat 172.16.0.1 10.0.1.0/24
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-ls2 00:00:00:00:02:01 10.0.2.1/24 fd02::1/64
ls-add ls2
lsp-add ls2 ls2-gw1 -- lsp-set-type ls2-gw1 router -- lsp-set-addresses ls2-gw1 router -- lsp-set-options ls2-gw1 router-port=gw1-ls2
lr-nat-add gw1 snat 2001:db8::2 fd02::/64
lr-nat-add gw1 dnat_and_snat 2001:db8::20 fd02::a

topology ovnk-gateway-router
ls-add join -- ls-add ext -- lr-add GR_node1
set Logical_Router GR_node1 options:chassis=hv1 options:dynamic_neigh_routers=true options:always_learn_from_arp_request=false options:lb_force_snat_ip=router_ip options:snat-ct-zone=0
lrp-add GR_node1 rtoj-GR 0a:58:64:40:00:02 100.64.0.2/16
lrp-add GR_node1 rtoe-GR 02:42:ac:12:00:02 172.18.0.2/16
lsp-add join jtor-GR -- lsp-set-type jtor-GR router -- lsp-set-addresses jtor-GR router -- lsp-set-options jtor-GR router-port=rtoj-GR
lsp-add ext etor-GR -- lsp-set-type etor-GR router -- lsp-set-addresses etor-GR router -- lsp-set-options etor-GR router-port=rtoe-GR
lsp-add ext breth0 -- lsp-set-type breth0 localnet -- lsp-set-addresses breth0 unknown -- lsp-set-options breth0 network_name=physnet
lr-nat-add GR_node1 snat 172.18.0.2 10.244.0.0/16
lr-route-add GR_node1 10.244.0.0/16 100.64.0.1
lr-route-add GR_node1 0.0.0.0/0 172.18.0.1 rtoe-GR
lb-add svc1 10.96.0.10:53 "10.244.1.3:53,10.244.2.3:53" udp
lb-add svc2 172.18.0.2:30080 "10.244.1.4:8080" tcp
set Load_Balancer svc2 options:skip_snat=true
lr-lb-add GR_node1 svc1 -- lr-lb-add GR_node1 svc2

topology nat-stateless
ls-add ls1 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24
lrp-set-gateway-chassis lr1-public hv1 20
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
--stateless lr-nat-add lr1 dnat_and_snat 172.16.0.10 10.0.1.10
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-ls2 00:00:00:00:02:01 10.0.2.1/24
ls-add ls2
lsp-add ls2 ls2-gw1 -- lsp-set-type ls2-gw1 router -- lsp-set-addresses ls2-gw1 router -- lsp-set-options ls2-gw1 router-port=gw1-ls2
--stateless lr-nat-add gw1 dnat_and_snat 172.16.0.20 10.0.2.10

topology dgp-gateway-mtu
ls-add ls1 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24 fd01::1/64
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24 2001:db8::1/64
lrp-set-gateway-chassis lr1-public hv1 20
set Logical_Router_Port lr1-public options:gateway_mtu=1400
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add public ln-public -- lsp-set-type ln-public localnet -- lsp-set-addresses ln-public unknown -- lsp-set-options ln-public network_name=physnet1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lr-nat-add lr1 snat 172.16.0.1 10.0.1.0/24

topology dgp-reside
ls-add ls1 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
set Logical_Router_Port lrp1 options:reside-on-redirect-chassis=true
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24
lrp-set-gateway-chassis lr1-public hv1 20
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add ls1 ln-ls1 -- lsp-set-type ln-ls1 localnet -- lsp-set-addresses ln-ls1 unknown -- lsp-set-options ln-ls1 network_name=physnet1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add public ln-public -- lsp-set-type ln-public localnet -- lsp-set-addresses ln-public unknown -- lsp-set-options ln-public network_name=physnet1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lr-nat-add lr1 snat 172.16.0.1 10.0.1.0/24

topology dgp-bridged
ls-add ls1 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24
lrp-set-gateway-chassis lr1-public hv1 20
set Logical_Router_Port lr1-public options:redirect-type=bridged
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add public ln-public -- lsp-set-type ln-public localnet -- lsp-set-addresses ln-public unknown -- lsp-set-options ln-public network_name=physnet1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lr-nat-add lr1 snat 172.16.0.1 10.0.1.0/24
lr-nat-add lr1 dnat_and_snat 172.16.0.10 10.0.1.10

topology router-ra-options
ls-add ls1 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.1.254/24 fd01::1/64 fd02::1/64
set Logical_Router_Port lrp1 ipv6_ra_configs:address_mode=dhcpv6_stateless ipv6_ra_configs:send_periodic=true ipv6_ra_configs:rdnss=fd01::53 ipv6_ra_configs:dnssl=ovn.org ipv6_ra_configs:route_info=HIGH-fd03::/64 ipv6_ra_configs:mtu=1450
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1

topology nat-ext-ips
ls-add ls1 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24
lrp-set-gateway-chassis lr1-public hv1 20
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
--id=@a create Address_Set name=allowed1 'addresses="10.1.0.0/16"' -- --id=@n create NAT type=snat external_ip=172.16.0.1 logical_ip=10.0.1.0/24 allowed_ext_ips=@a -- set Logical_Router lr1 nat=@n
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-ls2 00:00:00:00:02:01 10.0.2.1/24
ls-add ls2
lsp-add ls2 ls2-gw1 -- lsp-set-type ls2-gw1 router -- lsp-set-addresses ls2-gw1 router -- lsp-set-options ls2-gw1 router-port=gw1-ls2
--id=@e create Address_Set name=exempt1 'addresses="10.9.0.0/16"' -- --id=@m create NAT type=dnat_and_snat external_ip=172.16.0.20 logical_ip=10.0.2.10 exempted_ext_ips=@e -- set Logical_Router gw1 nat=@m

topology acl-log-related
ls-add ls1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10"
--id=@a create ACL direction=to-lport priority=1000 'match="ip4 && tcp.dst == 80"' action=allow-related log=true name=web severity=info options:log-related=true -- --id=@b create ACL direction=from-lport priority=1001 'match="ip4 && udp"' action=allow-related log=true label=77 options:log-related=true -- set Logical_Switch ls1 acls=@a,@b

topology lb-affinity
ls-add sw0
lsp-add sw0 p1 -- lsp-set-addresses p1 "0a:00:00:00:00:01 10.0.0.1"
lsp-add sw0 p2 -- lsp-set-addresses p2 "0a:00:00:00:00:02 10.0.0.2"
lb-add lb1 10.0.0.100:80 "10.0.0.1:8080,10.0.0.2:8080" tcp
set Load_Balancer lb1 options:affinity_timeout=60
ls-lb-add sw0 lb1
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-sw0 00:00:00:00:01:01 10.0.0.254/24
lsp-add sw0 sw0-gw1 -- lsp-set-type sw0-gw1 router -- lsp-set-addresses sw0-gw1 router -- lsp-set-options sw0-gw1 router-port=gw1-sw0
lr-lb-add gw1 lb1

topology sb-ha-groups
ls-add ls1 -- ls-add public -- lr-add lr1 -- lr-add lr2
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24
lrp-set-gateway-chassis lr1-public hv1 20
lrp-set-gateway-chassis lr1-public hv2 10
lrp-set-gateway-chassis lr1-public hv3 30
lrp-add lr2 lr2-public 00:00:00:00:ff:02 172.16.0.2/24
--id=@c1 create HA_Chassis chassis_name=hv2 priority=5 -- --id=@c2 create HA_Chassis chassis_name=hv3 priority=15 -- --id=@g create HA_Chassis_Group name=gw2 ha_chassis=@c1,@c2 -- set Logical_Router_Port lr2-public ha_chassis_group=@g
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add public public-lr2 -- lsp-set-type public-lr2 router -- lsp-set-addresses public-lr2 router -- lsp-set-options public-lr2 router-port=lr2-public
lsp-add public ln-public -- lsp-set-type ln-public localnet -- lsp-set-addresses ln-public unknown -- lsp-set-options ln-public network_name=physnet1
lsp-add public ext1 -- lsp-set-type ext1 external -- lsp-set-addresses ext1 "0a:00:00:00:00:e1 172.16.0.50"
lsp-add public ext2 -- lsp-set-type ext2 external -- lsp-set-addresses ext2 "0a:00:00:00:00:e2 172.16.0.51"
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
--id=@c create HA_Chassis chassis_name=hv1 priority=30 -- --id=@g create HA_Chassis_Group name=extgrp ha_chassis=@c -- set Logical_Switch_Port ext1 ha_chassis_group=@g -- set Logical_Switch_Port ext2 ha_chassis_group=@g
--id=@c create HA_Chassis chassis_name=hv9 priority=1 -- create HA_Chassis_Group name=unused ha_chassis=@c

topology sb-dns-meters-lbs
ls-add ls1 -- ls-add ls2 -- lr-add lr1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10"
lsp-add ls2 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:01:0a 10.0.1.10"
--id=@d create DNS records:vm1.ovn.org=10.0.0.10 external_ids:owner=cms -- set Logical_Switch ls1 dns_records=@d -- set Logical_Switch ls2 dns_records=@d
--id=@d create DNS records:vm2.ovn.org=10.0.1.10 -- set Logical_Switch ls2 dns_records=@d
create DNS records:lonely.ovn.org=10.9.9.9
meter-add m1 drop 10 pktps
--fair meter-add mfair drop 100 kbps 20
meter-add m3 drop 2000 kbps 300
--log --meter=mfair acl-add ls1 from-lport 1001 "ip4.src == 10.0.0.10 && udp" drop
--log --meter=m1 acl-add ls2 from-lport 1000 "ip4" allow
lb-add lb-sw 10.0.0.100:80 "10.0.0.10:8080" tcp -- ls-lb-add ls1 lb-sw -- ls-lb-add ls2 lb-sw
lb-add lb-rtr 10.0.1.100:80 "10.0.1.10:8080" udp -- lr-lb-add lr1 lb-rtr
lb-add lb-both 10.0.0.200 "10.0.0.10" -- ls-lb-add ls1 lb-both -- lr-lb-add lr1 lb-both
lb-add lb-none 10.0.0.201:80 "10.0.0.10:80" tcp
set Load_Balancer lb-sw external_ids:neutron=abc options:reject=true

topology sb-nat-addresses
ls-add ls1 -- ls-add public -- ls-add ext -- ls-add join -- lr-add lr1 -- lr-add gw1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24 2001:db8::1/64
lrp-set-gateway-chassis lr1-public hv1 20
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1 nat-addresses=router
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public nat-addresses=router
lsp-add public ln-public -- lsp-set-type ln-public localnet -- lsp-set-addresses ln-public unknown -- lsp-set-options ln-public network_name=physnet1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:01:0b 10.0.1.11"
lr-nat-add lr1 snat 172.16.0.1 10.0.1.0/24
lr-nat-add lr1 dnat_and_snat 172.16.0.10 10.0.1.10
lr-nat-add lr1 dnat_and_snat 172.16.0.11 10.0.1.11 vm2 0a:00:00:00:ff:0b
lb-add lb1 172.16.0.100:80 "10.0.1.10:8080" tcp -- lr-lb-add lr1 lb1
lb-add lb2 192.168.9.9:80 "10.0.1.11:8080" tcp -- lr-lb-add lr1 lb2
set Logical_Router gw1 options:chassis=hv2
lrp-add gw1 gw1-ext 00:00:00:00:ee:01 172.18.0.2/16
lrp-add gw1 gw1-join 00:00:00:00:ee:02 100.64.0.2/16
lsp-add ext ext-gw1 -- lsp-set-type ext-gw1 router -- lsp-set-addresses ext-gw1 router -- lsp-set-options ext-gw1 router-port=gw1-ext nat-addresses=router
lsp-add ext ln-ext -- lsp-set-type ln-ext localnet -- lsp-set-addresses ln-ext unknown -- lsp-set-options ln-ext network_name=physnet1
lsp-add join join-gw1 -- lsp-set-type join-gw1 router -- lsp-set-addresses join-gw1 router -- lsp-set-options join-gw1 router-port=gw1-join "nat-addresses=0a:00:00:00:ee:99 100.64.0.99"
lr-nat-add gw1 snat 172.18.0.5 10.244.0.0/16
lb-add lb3 172.18.0.100:80 "10.244.0.3:8080" tcp -- lr-lb-add gw1 lb3

topology sb-health-checks
ls-add sw0 -- ls-add sw1
lsp-add sw0 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:01 10.0.0.1"
lsp-add sw0 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:02 10.0.0.2"
lsp-add sw1 vm3 -- lsp-set-addresses vm3 "0a:00:00:00:00:03 10.0.0.3"
lb-add lb1 10.0.0.100:80 "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080" tcp -- ls-lb-add sw0 lb1
--id=@hc create Load_Balancer_Health_Check 'vip="10.0.0.100:80"' options:interval=5 options:timeout=20 options:success_count=3 options:failure_count=3 -- set Load_Balancer lb1 health_check=@hc
set Load_Balancer lb1 ip_port_mappings:10.0.0.1=vm1:10.0.0.99 ip_port_mappings:10.0.0.2=vm2:10.0.0.99 ip_port_mappings:10.0.0.3=vm3:10.0.0.99
lb-add lb2 10.0.0.200:80 "10.0.0.1:80,10.0.0.2:80" udp
--id=@hc create Load_Balancer_Health_Check 'vip="10.0.0.200:80"' -- set Load_Balancer lb2 health_check=@hc
set Load_Balancer lb2 ip_port_mappings:10.0.0.1=vm1:10.0.0.98 ip_port_mappings:10.0.0.2=nosuch:10.0.0.98
lb-add lb3 10.0.0.150:80 "10.0.0.3:80" tcp -- ls-lb-add sw1 lb3
--id=@hc create Load_Balancer_Health_Check 'vip="10.0.0.151:80"' -- set Load_Balancer lb3 health_check=@hc
set Load_Balancer lb3 ip_port_mappings:10.0.0.3=vm3:10.0.0.97
lb-add lb4 10.0.0.160:80 "10.0.0.3:80" tcp -- ls-lb-add sw1 lb4 -- set Load_Balancer lb4 options:reject=true
--id=@hc create Load_Balancer_Health_Check 'vip="10.0.0.160:80"' -- set Load_Balancer lb4 health_check=@hc
set Load_Balancer lb4 ip_port_mappings:10.0.0.3=vm3:10.0.0.96
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-sw0 00:00:00:00:aa:01 10.0.0.254/24
lsp-add sw0 sw0-gw1 -- lsp-set-type sw0-gw1 router -- lsp-set-addresses sw0-gw1 router -- lsp-set-options sw0-gw1 router-port=gw1-sw0
lr-lb-add gw1 lb1 -- lr-lb-add gw1 lb4
sb-svc-status 10.0.0.2 8080 offline
sb-svc-status 10.0.0.3 80 offline

topology mcast-snoop
ls-add mc -- ls-add mc2 -- ls-add plain
lsp-add mc m1 -- lsp-set-addresses m1 "0a:00:00:00:00:31 10.9.0.1"
lsp-add mc m2 -- lsp-set-addresses m2 "0a:00:00:00:00:32 10.9.0.2"
lsp-add mc2 m3 -- lsp-set-addresses m3 "0a:00:00:00:00:33 10.9.1.3"
set Logical_Switch mc other_config:mcast_snoop=true other_config:mcast_eth_src=00:00:00:00:00:fe other_config:mcast_ip4_src=10.9.0.254
set Logical_Switch mc2 other_config:mcast_snoop=true other_config:mcast_flood_unregistered=true other_config:mcast_idle_timeout=10 other_config:mcast_table_size=100 other_config:mcast_ip6_src=fe80::fe other_config:mcast_querier=false other_config:mcast_query_max_response=50
lsp-set-options m1 mcast_flood=true mcast_flood_reports=true
lsp-set-options m3 mcast_flood_reports=true
lsp-add plain m4 -- lsp-set-addresses m4 "0a:00:00:00:00:34 10.9.2.4" -- lsp-set-options m4 mcast_flood=true

topology lb-groups
ls-add ls1 -- ls-add ls2 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24
lrp-set-gateway-chassis lr1-public hv1 20
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public nat-addresses=router
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lsp-add ls2 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:02:0a 10.0.2.10"
lb-add lbd 10.0.1.200:80 "10.0.1.10:80" tcp -- ls-lb-add ls1 lbd
--id=@l1 create Load_Balancer name=lbg1 'vips:"172.16.0.100:80"="10.0.1.10:8080"' protocol=tcp -- --id=@l2 create Load_Balancer name=lbg2 'vips:"10.0.2.100:53"="10.0.2.10:53"' protocol=udp -- --id=@g create Load_Balancer_Group name=grp1 load_balancer=@l1,@l2 -- set Logical_Switch ls1 load_balancer_group=@g -- set Logical_Switch ls2 load_balancer_group=@g -- set Logical_Router lr1 load_balancer_group=@g

topology nat-stateless-ext-ips
ls-add ls1 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24
lrp-set-gateway-chassis lr1-public hv1 20
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.1.10"
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:0b 10.0.1.12"
--id=@e create Address_Set name=exempt2 'addresses="10.9.0.0/16"' -- --id=@m create NAT type=dnat_and_snat external_ip=172.16.0.20 logical_ip=10.0.1.10 exempted_ext_ips=@e options:stateless=true -- --id=@a create Address_Set name=allowed2 'addresses="10.8.0.0/16"' -- --id=@n create NAT type=dnat_and_snat external_ip=172.16.0.21 logical_ip=10.0.1.11 allowed_ext_ips=@a options:stateless=true -- --id=@f create Address_Set name=exempt3 'addresses="10.7.0.0/16"' -- --id=@o create NAT type=dnat_and_snat external_ip=172.16.0.22 logical_ip=10.0.1.12 exempted_ext_ips=@f options:stateless=true logical_port=vm2 'external_mac="0a:00:00:00:ff:22"' -- set Logical_Router lr1 nat=@m,@n,@o

topology mcast-relay
ls-add sw1 -- ls-add sw2 -- ls-add sw3
lr-add rtr -- set Logical_Router rtr options:mcast_relay=true
lrp-add rtr rtr-sw1 00:00:00:00:01:00 10.0.1.254/24 fd01::fe/64
lrp-add rtr rtr-sw2 00:00:00:00:02:00 10.0.2.254/24
lrp-add rtr rtr-sw3 00:00:00:00:03:00 10.0.3.254/24 -- set Logical_Router_Port rtr-sw3 options:mcast_flood=true
lsp-add sw1 sw1-rtr -- lsp-set-type sw1-rtr router -- lsp-set-addresses sw1-rtr router -- lsp-set-options sw1-rtr router-port=rtr-sw1
lsp-add sw2 sw2-rtr -- lsp-set-type sw2-rtr router -- lsp-set-addresses sw2-rtr router -- lsp-set-options sw2-rtr router-port=rtr-sw2
lsp-add sw3 sw3-rtr -- lsp-set-type sw3-rtr router -- lsp-set-addresses sw3-rtr router -- lsp-set-options sw3-rtr router-port=rtr-sw3
lsp-add sw1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:01 10.0.1.1 fd01::1"
lsp-add sw2 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:02:01 10.0.2.1" -- lsp-set-options vm2 mcast_flood=true
lsp-add sw3 vm3 -- lsp-set-addresses vm3 "0a:00:00:00:03:01 10.0.3.1"
set Logical_Switch sw1 other_config:mcast_snoop=true other_config:mcast_querier=false
set Logical_Switch sw2 other_config:mcast_snoop=true other_config:mcast_ip4_src=10.0.2.253 other_config:mcast_eth_src=00:00:00:00:02:fe
ls-add ext -- lr-add rtr2
lrp-add rtr2 rtr2-sw3 00:00:00:00:03:02 10.0.3.253/24 -- set Logical_Router_Port rtr2-sw3 options:mcast_flood=true
lrp-add rtr2 rtr2-ext 00:00:00:00:ff:02 172.16.0.2/24 -- set Logical_Router_Port rtr2-ext options:mcast_flood=true
lrp-set-gateway-chassis rtr2-ext hv1 10
lsp-add sw3 sw3-rtr2 -- lsp-set-type sw3-rtr2 router -- lsp-set-addresses sw3-rtr2 router -- lsp-set-options sw3-rtr2 router-port=rtr2-sw3
lsp-add ext ext-rtr2 -- lsp-set-type ext-rtr2 router -- lsp-set-addresses ext-rtr2 router -- lsp-set-options ext-rtr2 router-port=rtr2-ext

topology health-check-ipv6
ls-add sw0 -- ls-add sw1
lsp-add sw0 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:01 fd00::1"
lsp-add sw0 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:02 fd00::2"
lsp-add sw1 vm3 -- lsp-set-addresses vm3 "0a:00:00:00:00:03 fd00::3 10.0.0.3"
lb-add lb6 [fd00::100]:80 "[fd00::1]:8080,[fd00::2]:8080,[fd00::3]:8080" tcp -- ls-lb-add sw0 lb6 -- ls-lb-add sw1 lb6
--id=@hc create Load_Balancer_Health_Check 'vip="[fd00::100]:80"' options:interval=5 -- set Load_Balancer lb6 health_check=@hc
set Load_Balancer lb6 'ip_port_mappings:"[fd00::1]"="vm1:[fd00::99]"' 'ip_port_mappings:"[fd00::2]"="vm2:[fd00::99]"' 'ip_port_mappings:"[fd00::3]"="vm3:[fd00::98]"'
lb-add lb4 10.0.0.160:80 "10.0.0.3:80" udp -- ls-lb-add sw1 lb4
--id=@hc create Load_Balancer_Health_Check 'vip="10.0.0.160:80"' -- set Load_Balancer lb4 health_check=@hc
set Load_Balancer lb4 ip_port_mappings:10.0.0.3=vm3:10.0.0.96
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-sw0 00:00:00:00:aa:01 fd00::fe/64 10.0.0.254/24
lsp-add sw0 sw0-gw1 -- lsp-set-type sw0-gw1 router -- lsp-set-addresses sw0-gw1 router -- lsp-set-options sw0-gw1 router-port=gw1-sw0
lr-lb-add gw1 lb6
lr-add dr1
lrp-add dr1 dr1-sw1 00:00:00:00:bb:01 fd00::fd/64 10.0.0.253/24
lrp-set-gateway-chassis dr1-sw1 hv1 10
lsp-add sw1 sw1-dr1 -- lsp-set-type sw1-dr1 router -- lsp-set-addresses sw1-dr1 router -- lsp-set-options sw1-dr1 router-port=dr1-sw1
lr-lb-add dr1 lb6
sb-svc-status fd00::2 8080 offline

topology lb-affinity-ipv6
ls-add sw0 -- ls-add sw1
lsp-add sw0 p1 -- lsp-set-addresses p1 "0a:00:00:00:00:01 fd00::1"
lsp-add sw0 p2 -- lsp-set-addresses p2 "0a:00:00:00:00:02 fd00::2"
lb-add lb1 [fd00::100]:80 "[fd00::1]:8080,[fd00::2]:8080" tcp -- set Load_Balancer lb1 options:affinity_timeout=60
lb-add lb2 fd00::200 "fd00::1,fd00::2" -- set Load_Balancer lb2 options:affinity_timeout=30
ls-lb-add sw0 lb1 -- ls-lb-add sw0 lb2
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-sw0 00:00:00:00:01:01 fd00::fe/64
lsp-add sw0 sw0-gw1 -- lsp-set-type sw0-gw1 router -- lsp-set-addresses sw0-gw1 router -- lsp-set-options sw0-gw1 router-port=gw1-sw0
lr-lb-add gw1 lb1 -- lr-lb-add gw1 lb2
lr-add dr1
lrp-add dr1 dr1-sw1 00:00:00:00:02:01 fd01::fe/64
lrp-set-gateway-chassis dr1-sw1 hv1 10
lsp-add sw1 sw1-dr1 -- lsp-set-type sw1-dr1 router -- lsp-set-addresses sw1-dr1 router -- lsp-set-options sw1-dr1 router-port=dr1-sw1
lr-lb-add dr1 lb1

topology vtep
ls-add sw0 -- ls-add sw1
lsp-add sw0 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:01 10.0.0.1"
lsp-add sw0 vtep0 -- lsp-set-type vtep0 vtep -- lsp-set-options vtep0 vtep-physical-switch=br-vtep vtep-logical-switch=lswitch0 -- lsp-set-addresses vtep0 unknown
lsp-add sw1 vtep1 -- lsp-set-type vtep1 vtep -- lsp-set-options vtep1 vtep-physical-switch=br-vtep2 vtep-logical-switch=lswitch1
lsp-add sw1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:02 10.0.1.2" unknown
lr-add lr0
lrp-add lr0 lr0-sw0 00:00:00:00:ff:01 10.0.0.254/24
lsp-add sw0 sw0-lr0 -- lsp-set-type sw0-lr0 router -- lsp-set-addresses sw0-lr0 router -- lsp-set-options sw0-lr0 router-port=lr0-sw0
acl-add sw0 from-lport 1000 "ip4" allow-related

topology dgp-nat-router-lport
# distributed NAT on router-type logical ports, with a bridged gateway port (arp_resolve 90);
# the MACs are picked to sit in different OVS hash buckets (the prio-75 flood flow's set order
# would otherwise follow NAT row UUIDs)
ls-add ls1 -- ls-add public -- lr-add lr1 -- lr-add lr2
lrp-add lr1 lrp1 00:00:00:00:01:08 10.0.1.1/24
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24
lrp-set-gateway-chassis lr1-public hv1 20
lrp-add lr2 lr2-ls1 00:00:00:00:02:01 10.0.1.2/24
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add ls1 ls1-lr2 -- lsp-set-type ls1-lr2 router -- lsp-set-addresses ls1-lr2 router -- lsp-set-options ls1-lr2 router-port=lr2-ls1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add public ln-public -- lsp-set-type ln-public localnet -- lsp-set-addresses ln-public unknown -- lsp-set-options ln-public network_name=physnet1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lr-nat-add lr1 dnat_and_snat 172.16.0.12 10.0.1.2 ls1-lr2 0a:00:00:00:ff:0c
lr-nat-add lr1 dnat_and_snat 172.16.0.13 10.0.1.13 public-lr1 0a:00:00:00:ff:0d
set Logical_Router_Port lr1-public options:redirect-type=bridged
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:01:0b 10.0.1.11 fd01::b"
lr-nat-add lr1 dnat_and_snat 2001::11 fd01::b vm2 0a:00:00:00:ff:0e

topology l2gateway
ls-add sw0
lsp-add sw0 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:01 10.0.0.1"
lsp-add sw0 l2gw -- lsp-set-type l2gw l2gateway -- lsp-set-options l2gw network_name=physnet1 l2gateway-chassis=hv1 -- lsp-set-addresses l2gw unknown
lsp-add sw0 l2gw2 -- lsp-set-type l2gw2 l2gateway -- lsp-set-options l2gw2 network_name=physnet2 l2gateway-chassis=hv2 -- lsp-set-addresses l2gw2 "0a:00:00:00:00:09 10.0.0.9"
lr-add lr0
lrp-add lr0 lr0-sw0 00:00:00:00:ff:01 10.0.0.254/24
lsp-add sw0 sw0-lr0 -- lsp-set-type sw0-lr0 router -- lsp-set-addresses sw0-lr0 router -- lsp-set-options sw0-lr0 router-port=lr0-sw0
acl-add sw0 from-lport 1000 "ip4" allow-related

topology lrp-disabled
ls-add ls1 -- ls-add ls2 -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24 fd01::1/64
lrp-add lr1 lrp2 00:00:00:00:02:01 10.0.2.1/24 -- set Logical_Router_Port lrp2 enabled=false
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add ls2 ls2-lr1 -- lsp-set-type ls2-lr1 router -- lsp-set-addresses ls2-lr1 router -- lsp-set-options ls2-lr1 router-port=lrp2
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lsp-add ls2 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:02:0a 10.0.2.10"
lr-route-add lr1 192.168.0.0/16 10.0.2.100

topology router-policy-ecmp
ls-add ls1 -- ls-add ls2 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.1.254/24
lrp-add lr1 lrp2 00:00:01:00:00:02 10.0.2.254/24 fd02::fe/64
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lsp-add ls2 ls2-lr -- lsp-set-type ls2-lr router -- lsp-set-addresses ls2-lr router -- lsp-set-options ls2-lr router-port=lrp2
lr-policy-add lr1 300 "ip4.dst == 192.168.0.0/16" reroute 10.0.2.1,10.0.2.2,10.0.2.3
lr-policy-add lr1 310 "ip6.dst == fd09::/64" reroute fd02::1,fd02::2
lr-policy-add lr1 320 "ip4.src == 10.0.1.7" reroute 10.0.2.9,10.0.9.9
lr-policy-add lr1 200 "ip4.dst == 172.16.0.0/16" reroute 10.0.2.5
lr-policy-add lr1 210 "ip6.dst == fd08::/64" reroute fd02::5
--id=@p create Logical_Router_Policy priority=230 'match="ip4.src == 10.0.1.9"' action=allow options:pkt_mark=7 -- add Logical_Router lr1 policies @p
--id=@p create Logical_Router_Policy priority=240 'match="ip4.src == 10.0.1.8"' action=reroute nexthops=10.0.2.8 options:pkt_mark=8 -- add Logical_Router lr1 policies @p

topology lb-force-snat-ip
ls-add sw0 -- ls-add ext
lsp-add sw0 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:01 10.0.0.1 fd00::1"
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1 'options:lb_force_snat_ip="172.16.0.100 fd10::100"'
lrp-add gw1 gw1-sw0 00:00:00:00:aa:01 10.0.0.254/24 fd00::fe/64
lrp-add gw1 gw1-ext 00:00:00:00:aa:02 172.16.0.1/24 fd10::1/64
lsp-add sw0 sw0-gw1 -- lsp-set-type sw0-gw1 router -- lsp-set-addresses sw0-gw1 router -- lsp-set-options sw0-gw1 router-port=gw1-sw0
lsp-add ext ext-gw1 -- lsp-set-type ext-gw1 router -- lsp-set-addresses ext-gw1 router -- lsp-set-options ext-gw1 router-port=gw1-ext
lb-add lb1 172.16.0.50:80 "10.0.0.1:8080" tcp -- lr-lb-add gw1 lb1
lb-add lb6 [fd10::50]:80 "[fd00::1]:8080" tcp -- lr-lb-add gw1 lb6
lr-add gw2 -- set Logical_Router gw2 options:chassis=hv2 options:lb_force_snat_ip=172.16.1.100
lrp-add gw2 gw2-ext 00:00:00:00:bb:02 172.16.1.1/24
lr-lb-add gw2 lb1
lr-lb-add gw2 lb6
lr-add dr1 -- set Logical_Router dr1 options:lb_force_snat_ip=172.16.2.100
lrp-add dr1 dr1-ext 00:00:00:00:cc:02 172.16.2.1/24
lrp-set-gateway-chassis dr1-ext hv1 10
lr-lb-add dr1 lb1
lr-add gw3 -- set Logical_Router gw3 options:chassis=hv3 options:lb_force_snat_ip=172.16.3.100 options:dnat_force_snat_ip=172.16.3.101
lrp-add gw3 gw3-ext 00:00:00:00:dd:02 172.16.3.1/24
lr-add gw4 -- set Logical_Router gw4 options:chassis=hv4 options:dnat_force_snat_ip=172.16.4.101
lrp-add gw4 gw4-ext 00:00:00:00:ee:02 172.16.4.1/24
lr-nat-add gw4 dnat_and_snat 172.16.4.50 10.0.0.1

topology router-routes-v6
ls-add ls1 -- ls-add ls2 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.1.254/24 fd01::fe/64
lrp-add lr1 lrp2 00:00:01:00:00:02 10.0.2.254/24 fd02::fe/64
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lsp-add ls2 ls2-lr -- lsp-set-type ls2-lr router -- lsp-set-addresses ls2-lr router -- lsp-set-options ls2-lr router-port=lrp2
lr-route-add lr1 fd10::/64 fd02::1
--ecmp lr-route-add lr1 ::/0 fd01::1
--ecmp lr-route-add lr1 ::/0 fd02::2
--policy=src-ip lr-route-add lr1 fd01::/64 fd02::3
lr-route-add lr1 192.168.5.0/24 discard
lr-route-add lr1 fd20::/64 discard
lr-route-add lr1 fd30::/64 fd09::9
--policy=src-ip lr-route-add lr1 10.0.1.0/24 10.0.2.3

topology router-route-table
ls-add ls1 -- ls-add ls2 -- lr-add lr1
lrp-add lr1 lrp1 00:00:01:00:00:01 10.0.1.254/24 -- set Logical_Router_Port lrp1 options:route_table=rtb1
lrp-add lr1 lrp2 00:00:01:00:00:02 10.0.2.254/24 fd02::fe/64
lsp-add ls1 ls1-lr -- lsp-set-type ls1-lr router -- lsp-set-addresses ls1-lr router -- lsp-set-options ls1-lr router-port=lrp1
lsp-add ls2 ls2-lr -- lsp-set-type ls2-lr router -- lsp-set-addresses ls2-lr router -- lsp-set-options ls2-lr router-port=lrp2
--id=@r create Logical_Router_Static_Route ip_prefix=172.31.0.0/16 nexthop=10.0.2.7 route_table=rtb1 -- add Logical_Router lr1 static_routes @r
--id=@r create Logical_Router_Static_Route ip_prefix=0.0.0.0/0 nexthop=10.0.2.8 route_table=rtb1 -- add Logical_Router lr1 static_routes @r
--id=@r create Logical_Router_Static_Route ip_prefix='"fd31::/64"' nexthop='"fd02::7"' route_table=rtb1 -- add Logical_Router lr1 static_routes @r
--id=@r create Logical_Router_Static_Route ip_prefix=10.9.0.0/16 nexthop=10.0.2.9 route_table=rtb1 policy=src-ip -- add Logical_Router lr1 static_routes @r
lr-route-add lr1 0.0.0.0/0 10.0.2.1

topology lb-options-misc
ls-add sw0 -- ls-add ext
lsp-add sw0 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:01 10.0.0.1 fd00::1"
lsp-add sw0 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:02 10.0.0.2"
lb-add lb1 10.0.0.100:80 "10.0.0.1:8080,10.0.0.2:8080" tcp -- set Load_Balancer lb1 'options:hairpin_snat_ip="10.0.0.200 fd00::200"'
lb-add lb2 10.0.0.101:80 "10.0.0.1:8080" tcp -- set Load_Balancer lb2 options:hairpin_snat_ip=10.0.0.201
ls-lb-add sw0 lb1 -- ls-lb-add sw0 lb2
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-sw0 00:00:00:00:aa:01 10.0.0.254/24
lrp-add gw1 gw1-ext 00:00:00:00:aa:02 172.16.0.1/24
lsp-add sw0 sw0-gw1 -- lsp-set-type sw0-gw1 router -- lsp-set-addresses sw0-gw1 router -- lsp-set-options sw0-gw1 router-port=gw1-sw0
lsp-add ext ext-gw1 -- lsp-set-type ext-gw1 router -- lsp-set-addresses ext-gw1 router -- lsp-set-options ext-gw1 router-port=gw1-ext
lb-add lb3 172.16.0.50:80 "10.0.0.1:8080" tcp -- set Load_Balancer lb3 options:neighbor_responder=all -- lr-lb-add gw1 lb3
lb-add lb4 192.168.9.50:80 "10.0.0.2:8080" tcp -- set Load_Balancer lb4 options:neighbor_responder=all -- lr-lb-add gw1 lb4
lb-add lb5 192.168.9.51:80 "10.0.0.2:8080" tcp -- set Load_Balancer lb5 options:neighbor_responder=none -- lr-lb-add gw1 lb5
lb-add lb6 172.16.0.51:80 "10.0.0.2:8080" tcp -- set Load_Balancer lb6 options:neighbor_responder=none -- lr-lb-add gw1 lb6

topology switch-misc-options
ls-add sw0 -- ls-add sw1
lsp-add sw0 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:01 10.0.0.1"
lsp-add sw0 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:02 10.0.0.2" -- lsp-set-options vm2 requested-chassis=hv1 qos_max_rate=1000 qos_burst=2000
lr-add lr0
lrp-add lr0 lr0-sw0 00:00:00:00:ff:01 10.0.0.254/24
lsp-add sw0 sw0-lr0 -- lsp-set-type sw0-lr0 router -- lsp-set-addresses sw0-lr0 router -- lsp-set-options sw0-lr0 router-port=lr0-sw0 arp_proxy="0a:00:00:00:00:99 169.254.0.1 169.254.0.2"
set Logical_Switch sw1 other_config:vlan-passthru=true
lsp-add sw1 vm3 -- lsp-set-addresses vm3 "0a:00:00:00:00:03 10.0.1.3" -- lsp-set-port-security vm3 "0a:00:00:00:00:03 10.0.1.3"
lsp-add sw1 ln1 -- lsp-set-type ln1 localnet -- lsp-set-addresses ln1 unknown -- lsp-set-options ln1 network_name=phys -- set Logical_Switch_Port ln1 tag_request=100
lrp-add lr0 lr0-sw1 00:00:00:00:ff:02 10.0.1.254/24 fd01::fe/64
lsp-add sw1 sw1-lr0 -- lsp-set-type sw1-lr0 router -- lsp-set-addresses sw1-lr0 router -- lsp-set-options sw1-lr0 router-port=lr0-sw1
lsp-add sw1 vm4 -- lsp-set-addresses vm4 "0a:00:00:00:00:04 fd01::4"

topology sweep-misc
ls-add sw0 -- ls-add ext
lsp-add sw0 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:01 10.0.0.1"
lsp-add sw0 c1 vm1 7 -- lsp-set-addresses c1 "0a:00:00:00:00:c1 10.0.0.11"
lsp-add sw0 rem1 -- lsp-set-type rem1 remote -- lsp-set-addresses rem1 "0a:00:00:00:00:e1 10.0.0.21" -- lsp-set-options rem1 requested-chassis=hvr
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-sw0 00:00:00:00:aa:01 10.0.0.254/24
lrp-add gw1 gw1-ext 00:00:00:00:aa:02 172.16.0.1/24
lsp-add sw0 sw0-gw1 -- lsp-set-type sw0-gw1 router -- lsp-set-addresses sw0-gw1 router -- lsp-set-options sw0-gw1 router-port=gw1-sw0
lsp-add ext ext-gw1 -- lsp-set-type ext-gw1 router -- lsp-set-addresses ext-gw1 router -- lsp-set-options ext-gw1 router-port=gw1-ext
--id=@n create NAT type=snat external_ip=172.16.0.10 logical_ip=10.0.0.0/24 external_port_range="1000-2000" -- add Logical_Router gw1 nat @n
--id=@n create NAT type=dnat_and_snat external_ip=172.16.0.11 logical_ip=10.0.0.1 external_port_range="3000-4000" -- add Logical_Router gw1 nat @n

topology nb-global-options
ls-add sw0
lsp-add sw0 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:01 10.0.0.1"
lsp-add sw0 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:02 10.0.0.2"
acl-add sw0 from-lport 1000 "ip4 && tcp" allow-related
acl-add sw0 to-lport 1000 "ip4 && udp" drop
lb-add lb0 10.0.0.100:80 "" tcp -- ls-lb-add sw0 lb0
lb-add lb1 10.0.0.101:80 "10.0.0.1:80" tcp -- ls-lb-add sw0 lb1
set NB_Global . options:use_ct_inv_match=false options:controller_event=true
lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-sw0 00:00:00:00:aa:01 10.0.0.254/24
lsp-add sw0 sw0-gw1 -- lsp-set-type sw0-gw1 router -- lsp-set-addresses sw0-gw1 router -- lsp-set-options sw0-gw1 router-port=gw1-sw0
lr-lb-add gw1 lb0
lb-add lb6 [fd00::100]:80 "" udp -- ls-lb-add sw0 lb6
lb-add lb7 10.0.0.107 "" -- ls-lb-add sw0 lb7
ls-add ext -- lr-add dr1
lrp-add dr1 dr1-ext 00:00:00:00:bb:01 172.16.0.1/24
lrp-set-gateway-chassis dr1-ext hv1 10
lsp-add ext ext-dr1 -- lsp-set-type ext-dr1 router -- lsp-set-addresses ext-dr1 router -- lsp-set-options ext-dr1 router-port=dr1-ext
lr-lb-add dr1 lb0

topology ecmp-symmetric
ls-add ls1 -- ls-add ext -- lr-add gw1 -- set Logical_Router gw1 options:chassis=hv1
lrp-add gw1 gw1-ls1 00:00:01:00:00:01 10.0.1.254/24
lrp-add gw1 gw1-ext 00:00:01:00:00:02 172.16.0.254/24
lsp-add ls1 ls1-gw -- lsp-set-type ls1-gw router -- lsp-set-addresses ls1-gw router -- lsp-set-options ls1-gw router-port=gw1-ls1
lsp-add ext ext-gw -- lsp-set-type ext-gw router -- lsp-set-addresses ext-gw router -- lsp-set-options ext-gw router-port=gw1-ext
--ecmp-symmetric-reply lr-route-add gw1 0.0.0.0/0 172.16.0.1
--ecmp-symmetric-reply lr-route-add gw1 0.0.0.0/0 172.16.0.2
lrp-add gw1 gw1-ext2 00:00:01:00:00:03 172.17.0.254/24 fd17::fe/64
--ecmp-symmetric-reply lr-route-add gw1 0.0.0.0/0 172.17.0.1
--ecmp-symmetric-reply lr-route-add gw1 fd99::/64 fd17::1
--ecmp-symmetric-reply lr-route-add gw1 fd99::/64 fd17::2
--ecmp-symmetric-reply --policy=src-ip lr-route-add gw1 10.0.1.0/24 172.16.0.5
--ecmp-symmetric-reply --policy=src-ip lr-route-add gw1 10.0.1.0/24 172.17.0.5
lr-add dr1
lrp-add dr1 dr1-ls1 00:00:02:00:00:01 10.0.1.253/24
lrp-add dr1 dr1-ext 00:00:02:00:00:02 172.16.0.253/24
lrp-set-gateway-chassis dr1-ext hv1 10
--ecmp-symmetric-reply lr-route-add dr1 0.0.0.0/0 172.16.0.1
--ecmp-symmetric-reply lr-route-add dr1 0.0.0.0/0 172.16.0.2

topology gateway-mtu-bypass
ls-add ls1 -- ls-add public -- lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24 fd01::1/64
lrp-add lr1 lr1-public 00:00:00:00:ff:01 172.16.0.1/24 2001:db8::1/64
lrp-set-gateway-chassis lr1-public hv1 20
set Logical_Router_Port lr1-public options:gateway_mtu=1400 'options:gateway_mtu_bypass="tcp || udp.dst == 53"'
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add public public-lr1 -- lsp-set-type public-lr1 router -- lsp-set-addresses public-lr1 router -- lsp-set-options public-lr1 router-port=lr1-public
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"

topology dhcp-options-rich
ls-add ls1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:0a 10.0.0.10"
lsp-add ls1 vm2 -- lsp-set-addresses vm2 "0a:00:00:00:00:0b 10.0.0.11 fd00::b"
--id=@d create DHCP_Options cidr=10.0.0.0/24 options:lease_time=3600 options:router=10.0.0.1 options:server_id=10.0.0.1 options:server_mac=c0:ff:ee:00:00:01 'options:dns_server="{8.8.8.8, 1.1.1.1}"' 'options:domain_name="\"example.org\""' options:mtu=1400 'options:classless_static_route="{169.254.169.254/32,10.0.0.2, 0.0.0.0/0,10.0.0.1}"' -- set Logical_Switch_Port vm1 dhcpv4_options=@d -- set Logical_Switch_Port vm2 dhcpv4_options=@d
--id=@e create DHCP_Options 'cidr="fd00::/64"' options:server_id=00:00:00:00:10:02 'options:dns_server="{fd00::53}"' 'options:domain_search="\"example.org\""' -- set Logical_Switch_Port vm2 dhcpv6_options=@e
lr-add lr1
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.0.1/24 -- set Logical_Router_Port lrp1 options:foo=bar
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lr-nat-add lr1 dnat_and_snat 172.16.0.10 10.0.0.10

topology router-peer
ls-add ls1 -- lr-add lr1 -- lr-add lr2
lrp-add lr1 lrp1 00:00:00:00:01:01 10.0.1.1/24
lsp-add ls1 ls1-lr1 -- lsp-set-type ls1-lr1 router -- lsp-set-addresses ls1-lr1 router -- lsp-set-options ls1-lr1 router-port=lrp1
lsp-add ls1 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:01:0a 10.0.1.10"
lrp-add lr1 lr1-lr2 00:00:00:00:12:01 10.0.12.1/30 peer=lr2-lr1
lrp-add lr2 lr2-lr1 00:00:00:00:12:02 10.0.12.2/30 peer=lr1-lr2
lr-route-add lr2 10.0.1.0/24 10.0.12.1
lr-route-add lr1 0.0.0.0/0 10.0.12.2
