#!/usr/bin/env bash
# The DB VPS from Debian packages instead of containers (as root). Fill .env first.
set -euo pipefail
cd "$(dirname "$0")"
set -a; . ./.env; set +a
apt-get update && apt-get install -y postgresql pgbouncer redis-server ufw
version=$(ls /etc/postgresql | sort -V | tail -1)
install -m 644 postgresql.conf "/etc/postgresql/$version/main/conf.d/socialchat.conf"
echo "host socialdb postgres ${MAIN_VPS_PRIVATE_IP}/32 scram-sha-256" >> "/etc/postgresql/$version/main/pg_hba.conf"
echo "host socialdb postgres 127.0.0.1/32 scram-sha-256" >> "/etc/postgresql/$version/main/pg_hba.conf"
systemctl restart postgresql
runuser -u postgres -- psql -c "ALTER USER postgres PASSWORD '${POSTGRES_PASSWORD}'"
runuser -u postgres -- createdb socialdb || true
sed 's/host=postgres/host=127.0.0.1/' pgbouncer.ini > /etc/pgbouncer/pgbouncer.ini
runuser -u postgres -- psql -Atc "SELECT '\"' || rolname || '\" \"' || rolpassword || '\"' FROM pg_authid WHERE rolname = 'postgres'" > /etc/pgbouncer/userlist.txt
chown postgres: /etc/pgbouncer/userlist.txt && chmod 600 /etc/pgbouncer/userlist.txt
systemctl enable --now pgbouncer && systemctl restart pgbouncer
install -m 640 -o redis redis.conf /etc/redis/socialchat.conf
echo "requirepass ${REDIS_PASSWORD}" >> /etc/redis/socialchat.conf
echo "include /etc/redis/socialchat.conf" >> /etc/redis/redis.conf
systemctl restart redis-server
./firewall.sh
