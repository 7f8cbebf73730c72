#!/usr/bin/perl
# write-mmdb.pl: writes a small .mmdb for the unit tests with MaxMind::DB::Writer (Debian: libmaxmind-db-writer-perl).
# Usage: write-mmdb.pl OUT TYPE IPVERSION CIDR=VALUE...
#   TYPE containing "ASN": VALUE is "NUMBER:ORG"; otherwise VALUE is a country code.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, $type, $ipv, @entries) = @ARGV;
die "usage: $0 OUT TYPE IPVERSION CIDR=VALUE...\n" unless $out && $type && $ipv;
my $asn = $type =~ /ASN/;
my %types = $asn
	? (autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string')
	: (country => 'map', iso_code => 'utf8_string');
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version => $ipv,
	record_size => 24,
	database_type => $type,
	languages => ['en'],
	description => { en => 'darknet-counter unit test' },
	map_key_type_callback => sub { $types{ $_[0] } },
	# IPv4 in an IPv6 tree at ::/96, and the usual aliases to it
	alias_ipv6_to_ipv4 => $ipv == 6 ? 1 : 0,
	remove_reserved_networks => 0,
);
for my $e (@entries) {
	my ($cidr, $v) = split /=/, $e, 2;
	my $data;
	if ($asn) {
		my ($n, $org) = split /:/, $v, 2;
		$data = { autonomous_system_number => $n + 0, autonomous_system_organization => $org };
	} else {
		$data = { country => { iso_code => $v } };
	}
	$tree->insert_network($cidr, $data);
}
open my $fh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($fh);
close $fh or die "$out: $!\n";
