#!/usr/bin/env bash
# `make demo`: the main job on the embedded default — a fresh SQLite database in .demo/,
# the bundled СПТ roadmap, a few completions (one late, some with evidence), status and history.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CLI:-.venv/bin/cyclogram}
ROADMAP=roadmaps/spt-usolye-2024.yaml
export CYCLOGRAM_HOME="$PWD/.demo"
export CYCLOGRAM_ACTOR="demo"
unset CYCLOGRAM_DATABASE_URL
rm -rf "$CYCLOGRAM_HOME"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Проверка и план: $ROADMAP"
$CLI validate "$ROADMAP"
$CLI plan "$ROADMAP"

step "Загрузка в базу ($CYCLOGRAM_HOME/cyclogram.db)"
$CLI load "$ROADMAP"

step "Отметки о выполнении (август–сентябрь 2024): один этап с опозданием, подтверждения файлом и ссылкой"
$CLI done spt-usolye-2024 1 --by toropkina --at 2024-08-30 --evidence demo/plan-vospitatelnoy-raboty-2024.txt
$CLI done spt-usolye-2024 2 --by toropkina --at 2024-09-04 --note "План согласован с региональным оператором"
$CLI done spt-usolye-2024 3 --by melnikova --at 2024-09-03 --evidence https://school12.example/docs/polozhenie-konfidencialnost.pdf
$CLI done spt-usolye-2024 4 --by toropkina --at "10.09.2024 15:00" --evidence demo/protokol-pedsoveta-2024-09-10.txt \
  --note "Педсовет перенесён с 06.09 из-за болезни директора"
$CLI done spt-usolye-2024 6 --by volkova --at 2024-09-05
$CLI done spt-usolye-2024 5 --by melnikova --at 2024-09-06 --evidence https://school12.example/docs/prikaz-spt-2024.pdf
$CLI done spt-usolye-2024 7 --by toropkina --at 2024-09-16 --evidence https://school12.example/docs/spisok-uchastnikov.pdf \
  --note "Родительские собрания в 7-х классах перенесены на 16.09"
$CLI done spt-usolye-2024 8 --by toropkina --at 2024-09-19
$CLI done spt-usolye-2024 12 --by melnikova --at 2024-09-18 --evidence https://school12.example/docs/grafik-spt.pdf
$CLI done spt-usolye-2024 13 --by kochneva --at 2024-09-19
$CLI done spt-usolye-2024 9 --by melnikova --at 2024-09-20 --evidence https://school12.example/docs/prikaz-spiski.pdf
$CLI done spt-usolye-2024 10 --by volkova --at 2024-09-24
$CLI skip spt-usolye-2024 15 --by melnikova --at 2024-09-02 --reason "Интернет оплачен по годовому договору"
echo "-- попытка отметить заблокированный этап:"
$CLI done spt-usolye-2024 21 --by volkova --at 2024-09-20 || true

step "Статус на 10.10.2024"
$CLI status spt-usolye-2024 --as-of 2024-10-10

step "Работа Волковой Л.А. на 10.10.2024"
$CLI status spt-usolye-2024 --as-of 2024-10-10 --person volkova

step "Напоминания на понедельник 14.10.2024 — пробный запуск (ничего не отправляется)"
# The school's mail account lives outside the roadmap, as a secret; a dry run never connects to it.
CYCLOGRAM_SECRET_SMTP="mailto://127.0.0.1:8025?from=Школа №12 <school12@example.org>&mode=insecure" \
  $CLI remind spt-usolye-2024 --as-of 2024-10-14 --dry-run

step "Календарь: файл .ics и ссылка для подписки"
$CLI ical spt-usolye-2024 -o "$CYCLOGRAM_HOME/spt-usolye-2024.ics"
$CLI ical spt-usolye-2024 --person volkova -o "$CYCLOGRAM_HOME/volkova.ics"
URL=$($CLI feeds create spt-usolye-2024 --person volkova)
cat <<TXT
Файл календаря: $CYCLOGRAM_HOME/spt-usolye-2024.ics — его можно импортировать в любой календарь.
Чтобы календарь сам обновлялся при каждой отметке о выполнении, запустите сервер
  CYCLOGRAM_HOME=$CYCLOGRAM_HOME $CLI web --host 0.0.0.0 --port 8080
и подпишитесь на ссылку (Google Календарь: «Другие календари → Добавить по URL»;
Outlook: «Добавить календарь → Подписаться из Интернета»; Apple/Thunderbird: «Новый календарь → В сети»):
  $URL
(в ссылке замените 127.0.0.1 на адрес сервера школы; список ссылок — cyclogram feeds, отзыв — cyclogram feeds revoke)
TXT

step "Журнал изменений"
$CLI history spt-usolye-2024
$CLI audit verify
