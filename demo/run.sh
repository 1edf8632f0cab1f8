#!/usr/bin/env bash
# `make demo`: the main job on the embedded default — a fresh SQLite database and Prefect home in
# .demo/, the bundled СПТ roadmap replayed through September–October 2024 (completions, daily
# flow runs, reminders to a local SMTP catcher), calendar, status, run history and audit log, a
# plan imported from its document and the appendix exported to Word and Excel, then the web app.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CLI:-.venv/bin/cyclogram}
PY=${PY:-.venv/bin/python}
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

step "Сентябрь–октябрь 2024 день за днём: отметки о выполнении и ежедневный прогон в Prefect"
export PREFECT_HOME="$CYCLOGRAM_HOME/prefect"
$PY demo/replay.py

step "Попытка отметить заблокированный этап (отказ с объяснением)"
$CLI done spt-usolye-2024 27 --by toropkina --at 2024-10-30 || true

step "Статус на 31.10.2024"
$CLI status spt-usolye-2024 --as-of 2024-10-31

step "Работа Волковой Л.А. на 31.10.2024"
$CLI status spt-usolye-2024 --as-of 2024-10-31 --person volkova

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

step "История запусков (Prefect + журнал)"
$CLI runs spt-usolye-2024 --limit 8

step "Журнал изменений (последние записи)"
$CLI history spt-usolye-2024 --since 2024-01-01 | tail -n 25
$CLI audit verify

step "Документы: план из Word/Excel/текста и приложение к приказу обратно"
# The seed document of this roadmap, as a school has it (a table in text), made into a roadmap draft:
$CLI import tests/fixtures/seeds/spt-cyclogram-usolye-2024.txt -o "$CYCLOGRAM_HOME/imported-spt.yaml"
$CLI export spt-usolye-2024 --format docx --as-of 2024-10-31 -o "$CYCLOGRAM_HOME/prilozhenie.docx"
$CLI export spt-usolye-2024 --format xlsx --as-of 2024-10-31 -o "$CYCLOGRAM_HOME/prilozhenie.xlsx"

step "Веб-приложение школы"
WEB_PORT=${WEB_PORT:-8080}
BASE="http://127.0.0.1:$WEB_PORT"
printf '%s\n' "demo-пароль-завуча" | $CLI users add zavuch@school12.example --name "Торопкина А.А." --role admin --password-stdin >/dev/null
TEACHER=$($CLI links issue spt-usolye-2024 volkova 22 --base-url "$BASE")
MINE=$($CLI links issue spt-usolye-2024 volkova --base-url "$BASE")
cat <<TXT
Доска (вход: zavuch@school12.example / demo-пароль-завуча): $BASE/r/spt-usolye-2024
Диаграмма Ганта:                                      $BASE/r/spt-usolye-2024/gantt
Журнал для аудитора:                                  $BASE/audit
Ссылка учителя из напоминания (этап 22, без входа):   $TEACHER
Все этапы Волковой Л.А. (без входа):                  $MINE
TXT
if [ "${DEMO_WEB:-1}" = "1" ] && [ -t 1 ]; then
  echo "Запускаю веб-приложение на $BASE — остановить: Ctrl-C"
  exec $CLI web --host 127.0.0.1 --port "$WEB_PORT" --base-url "$BASE"
else
  echo "Запустить: CYCLOGRAM_HOME=$CYCLOGRAM_HOME $CLI web --port $WEB_PORT --base-url $BASE"
fi
