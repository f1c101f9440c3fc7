## Кампании в чате: /campaigns, /campaign_new, /campaign_set, /campaign_group, /campaign_steps, /campaign_preview,
## /campaign_test, /campaign_start, /campaign_pause, /campaign_resume, /campaign.

campaigns-none = В этом пространстве пока нет кампаний. Создать: /campaign_new имя
campaigns-none-client = В этом пространстве пока нет кампаний.
campaigns-title = Кампании: { $count }
campaigns-line = { $name } — { $status }, шагов: { $steps }, лидов: { $enrolled } (в работе { $active })
campaigns-hint = Подробно: /campaign имя
campaigns-hint-client = Отчёт по кампании: /report_campaign имя
campaign-created = Кампания { $name } создана (черновик).
campaign-next-steps =
    Дальше:
    1. Группа ящиков (адреса и/или домены): /campaign_group { $name } домен.ru
    2. Лиды: загрузите CSV (/leads_import) и добавьте их в кампанию.
    3. Цепочка писем — текстом после команды или файлом .txt, образец ниже.
    4. Проверка: /campaign_preview { $name } и /campaign_test { $name } ваш@адрес
    5. Настройки (по желанию): /campaign_set { $name } window=09:00-18:00 weekdays=пн-пт timezone=Europe/Moscow
    6. Запуск: /campaign_start { $name }
campaign-steps-sample =
    Тема: {"{{Привет|Здравствуйте}}"}, {"{first_name|коллега}"}
    Пишу по поводу {"{company}"}…

    === вариант B вес 30
    Тема: Вопрос для {"{company}"}
    Другой текст первого письма…

    --- шаг 2 через 3 дня
    Ответ в той же ветке (без темы)…

    --- шаг 3 через 2 рабочих дня
    Последнее письмо…
campaign-steps-rules =
    Как писать цепочку: шаг 1 — с начала текста, первая строка «Тема: …», дальше текст письма.
    Следующий шаг — строка «--- шаг 2 через 3 дня» (или «через 2 рабочих дня»: пн–пт).
    Вариант A/B — строка «=== вариант B вес 30»; варианты без веса делят остаток до 100.
    У следующих шагов один вариант или столько же, сколько у шага 1 (лид остаётся в своём варианте); без темы письмо уходит ответом в той же ветке: «Re: » и тема шага 1.
    Подстановки: {"{first_name}"} или {"{имя}"} (и {"{фамилия}"}, {"{компания}"}), {"{company|вашей компании}"} (после | — если поле пустое), свои колонки лидов (пробел в названии колонки пишется как _: {"{Job_Title}"}); спинтакс {"{{Привет|Здравствуйте}}"}.
    Пределы: до { $steps } шагов, до { $variants } вариантов, до { $chars } символов в тексте. Больше 4 000 символов — пришлите файлом .txt.
campaign-steps-ask =
    Пришлите цепочку для { $name } следующим сообщением или файлом .txt. Формат:
    { $sample }

    { $rules }
campaign-steps-ask-inline =
    Пришлите цепочку для { $name } в самой команде: первая строка — /campaign_steps { $name }, с новой строки — цепочка. Или приложите к команде файл .txt. Формат:
    { $sample }

    { $rules }
campaign-steps-saved = Цепочка { $name } сохранена: { $count } { $count ->
    [one] шаг
    [few] шага
   *[many] шагов
}.
campaign-step-first = Шаг 1 (сразу): варианты { $variants } — «{ $subject }»
campaign-step-calendar = Шаг { $step }: через { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
}, варианты { $variants }
campaign-step-business = Шаг { $step }: через { $days } { $days ->
    [one] рабочий день
    [few] рабочих дня
   *[many] рабочих дней
}, варианты { $variants }
campaign-steps-next = Проверьте: /campaign_preview { $name } — и отправьте себе тест: /campaign_test { $name } ваш@адрес
campaign-settings-help =
    Настройки: /campaign_set имя ключ=значение …
    timezone=Europe/Moscow — часовой пояс
    window=09:00-18:00 — окно отправки
    weekdays=пн-пт (mon-fri, 1-5, пн,ср,пт) — дни недели
    daily_cap=500 — писем кампании в день (1–5000)
    per_mailbox_cap=30 — писем кампании с одного ящика в день (1–50)
    lead_timezone=on — окно по часовому поясу лида, когда он известен
    html=on — HTML-письмо с пикселем открытий (track_opens включается вместе с ним), track_clicks=on — отслеживание ссылок (track=on — и то и другое)
    stop_on_reply=on — остановить цепочку при ответе
campaign-settings-saved = Настройки { $name } сохранены.
campaign-settings-line = Пояс { $timezone }, окно { $window }, дни { $weekdays }, в день { $daily_cap }, с ящика { $per_mailbox_cap }; { $flags }
campaign-weekdays-short = пн,вт,ср,чт,пт,сб,вс
campaign-group-saved = Группа ящиков { $name } сохранена
campaign-group-line = Готовы к рассылке: { $ready } из { $total } · { $stages }
campaign-group-first-ready = Первый ящик будет готов не раньше { $date }.
campaign-group-none-ready = Ни один ящик группы ещё не прошёл прогрев: кампания не сможет отправлять.
campaign-preview-title = Предпросмотр { $name }, шаг { $step }
campaign-preview-subject = Тема: { $subject }
campaign-preview-empty = У этого лида пустые поля { $fields }: в письме на их месте ничего не будет. Заполните их в CSV или задайте запасное значение: { $example }
campaign-test-queued = Тест { $name } (шаг { $step }, вариант { $variant }) поставлен в очередь на { $email }.
campaign-started = Кампания { $name } запущена.
campaign-resumed = Кампания { $name } возобновлена.
campaign-started-left-to-others = { $count } { $count ->
    [one] лид уже есть
    [few] лида уже есть
   *[many] лидов уже есть
} в другой идущей или приостановленной кампании: в эту { $count ->
    [one] он не вошёл
   *[other] они не вошли
}, чтобы никто не получил две цепочки писем.
campaign-started-despite = Запущена, несмотря на предупреждения:
campaign-refused = Кампанию { $name } нельзя запустить:
campaign-warnings = Также предупреждения:
campaign-confirm-title = { $name }: перед запуском проверьте
campaign-confirm-ask = Запустить всё равно? Кнопка действует 15 минут.
campaign-confirm-button = Запустить всё равно
campaign-paused = Кампания { $name } приостановлена. Запланированные письма не уйдут до /campaign_resume { $name }.
campaign-refuse-no-steps = нет цепочки писем: /campaign_steps { $name }
campaign-refuse-no-leads = в кампании нет лидов: пришлите CSV с подписью /leads_import { $name } source=… basis=…
campaign-refuse-no-leads-slack = в кампании нет лидов: пришлите мне CSV в личные сообщения с текстом «leads_import { $name } source=… basis=…»
campaign-refuse-no-active-leads = ни один лид больше не ждёт писем (добавлено { $enrolled }: каждый прошёл цепочку, ответил, отписался или остановлен): добавьте новых — /leads_import { $name }
campaign-refuse-no-group = у кампании нет группы ящиков: /campaign_group { $name } домен
campaign-refuse-not-ready = ни один ящик группы ещё не готов: прогреваются { $warming }, первый будет готов не раньше { $date }
campaign-refuse-waiting-placement = ящиков, закончивших прогрев, но ждущих, пока во «Входящие» будет доходить не меньше { $threshold } % их прогревочных писем: { $waiting } (доля каждого — в /warmup)
campaign-refuse-held = приостановлены, остывают или отключены: { $held } (/mailbox_resume)
campaign-reason-step = шаг { $step }: { $text }
campaign-warn-slow = лидов { $leads }, готовых ящиков { $ready }: первый шаг займёт около { $days } { $days ->
    [one] дня
   *[other] дней
}
campaign-warn-empty-field = у { $leads } { $leads ->
    [one] лида
   *[other] лидов
} пустое поле { $field }: в их письмах на его месте ничего не будет. Заполните его в CSV или задайте запасное значение: { $example }
campaign-title = { $name } — { $status }, шагов: { $steps }
campaign-progress = Лидов: { $enrolled } ({ $states }) — где каждый сейчас: ответивший или отписавшийся после конца цепочки остаётся в «завершили», отписавшийся после ответа — в «ответили» (все ответы и отписки — в /report_campaign)
campaign-left-company = Из остановленных больше не работают в компании (так сказал автоответ): { $count } — их цепочки остановлены навсегда; новые контакты, если автоответ их назвал, — в /leads
campaign-sent = Отправлено сегодня: { $today }, всего: { $total }; в плане: { $pending }; следующее: { $next }
campaign-next-after-start = после запуска (/campaign_start { $name })
campaign-next-once-resumed = не раньше { $at }, после возобновления (/campaign_resume { $name })
campaign-waiting = Ждут следующего письма: { $steps }
campaign-waiting-step = шаг { $step } — { $count }
campaign-step-sent = Шаг { $step }, вариант { $variant }: отправлено { $sent }
campaign-deferrals-title = Что сдерживало отправку { $day }:
campaign-deferral = хотели { $wanted }, можно { $allowed } — { $cap }
campaign-deferral-mailbox = { $mailbox }: хотели { $wanted }, можно { $allowed } — { $cap }
campaign-deferrals-none = Сегодня ничего не сдерживало отправку.
enrollment-state-active = в работе
enrollment-state-completed = завершили
enrollment-state-replied = ответили
enrollment-state-bounced = недоставлено
enrollment-state-unsubscribed = отписались
enrollment-state-stopped = остановлены
error-campaign-name = Имя кампании «{ $name }» не подходит: одно слово до { $max } символов — буквы, цифры, «-», «_», «.».
error-campaign-name-words = Имя кампании — одно слово, без пробелов, а «{ $name }» — несколько. Например: /campaign_new { $example }
error-campaign-not-found = Кампании «{ $name }» нет в этом пространстве.
error-campaign-not-found-manage = Кампании «{ $name }» нет в этом пространстве. Список: /campaigns
error-campaign-exists = Кампания { $name } уже есть. Откройте её: /campaign { $name }
error-campaign-finished = Кампания { $name } завершена или в архиве: её нельзя менять.
error-campaign-not-paused = Кампания { $name } не на паузе (сейчас: { $status }).
error-campaign-not-started = Кампания { $name } ещё не запущена: приостанавливать нечего. Запуск: /campaign_start { $name }
error-campaign-setting-unknown = Нет настройки { $name }. Есть: { $known }
error-campaign-setting-value = Значение { $name }={ $value } не подходит. Можно: { $allowed }
campaign-window-allowed = два времени одного дня, ЧЧ:ММ-ЧЧ:ММ, начало раньше конца, например 09:00-18:00
error-campaign-setting-pair = «{ $word }» — не настройка: пишите ключ=значение, например window=09:00-18:00
error-campaign-setting-none = Укажите настройки: ключ=значение. Справка: /campaign_set имя
error-campaign-opens-need-html = Открытия видны только в HTML-письмах: сначала html=on.
error-campaign-html-pixel = В HTML-письме всегда есть пиксель открытий: пока html=on, их не отключить. Чтобы не отслеживать открытия, отправляйте простой текст: html=off (ссылки можно отслеживать и в нём: track_clicks=on).
error-campaign-group-empty = Назовите ящики или домены группы.
error-campaign-group-too-many = Слишком много ящиков и доменов сразу: { $count }, можно { $max }. Назовите домены.
error-campaign-confirm-expired = Это подтверждение устарело. Запустите снова: /campaign_start
error-campaign-confirm-used = Это подтверждение уже использовано: кампания { $name } сейчас { $status }.
error-campaign-confirm-stale = Эта кнопка устарела: с тех пор кампания { $name } изменилась (сейчас: { $status }). Если нужно, запустите снова: /campaign_start { $name }
error-campaign-confirm-other = Это подтверждение запрашивал другой человек, и нажать его может только он. Чтобы запустить { $name } самому: /campaign_start { $name }
error-campaign-test-address = «{ $address }» — не адрес электронной почты.
error-campaign-test-no-mailbox = В группе { $name } нет ящика, который сейчас отправляет.
error-campaign-test-no-identity = Тест { $name } не отправить: в подписи писем не заданы юридическое название или контакт отправителя, а без подписи письма кампаний не уходят (38-ФЗ, ст. 18). Задайте её: /workspace_legal
error-campaign-test-limit = Не больше { $max } тестов кампании в сутки.
error-campaign-preview-step = В кампании { $name } нет шага { $step }.
error-campaign-preview-word = «{ $word }» не понято: укажите адрес лида, номер шага и букву варианта, например /campaign_preview q1 ivan@example.com 2 B
error-campaign-test-word = «{ $word }» не понято: после адреса укажите номер шага и букву варианта, например /campaign_test q1 me@acme.ru 2 B
error-campaign-variant-letter = Вариант — одна буква: { $letters }.
error-campaign-variant-ambiguous = «{ $typed }» в шаге { $step } может значить вариант { $choices }: напишите латинскую букву.
error-campaign-steps-running = Кампания { $name } идёт: приостановите её (/campaign_pause { $name }), чтобы менять цепочку.
error-campaign-steps-variants-drawn = В кампании { $name } лидам уже достался вариант { $letter }, и следующие шаги они получат в нём же: в шаге 1 новой цепочки нужно не меньше { $count } { $count ->
    [one] варианта
   *[other] вариантов
}, а в ней { $have }. Сократить можно только следующие шаги (один вариант на всех).
error-campaign-steps-text-too-long = Цепочка слишком длинная: { $length } { $length ->
    [one] символ
    [few] символа
   *[many] символов
}, можно { $max }.
error-campaign-steps-file = Это не текст, а файл { $format }. Сохраните цепочку как «Обычный текст (.txt)» или пришлите её текстом: /campaign_steps { $name } и с новой строки цепочка.
error-campaign-steps-empty = В цепочке нет писем. Образец: /campaign_steps имя
error-campaign-steps-header = Строка { $line }: «{ $text }» не понята. Пишите «--- шаг 2 через 3 дня» или «=== вариант B вес 30».
error-campaign-steps-first-delay = Строка { $line }: шаг 1 уходит сразу, задержки у него нет.
error-campaign-steps-order = Строка { $line }: ожидался шаг { $expected }, а указан { $found }.
error-campaign-steps-no-delay = Строка { $line }: у шага { $step } нет задержки — «через N дней».
error-campaign-steps-delay = Строка { $line }: задержка шага { $step } — от { $min } до { $max } дней.
error-campaign-steps-too-many = Строка { $line }: шагов не больше { $max }.
error-campaign-steps-too-many-variants = Строка { $line }: в шаге { $step } не больше { $max } вариантов.
error-campaign-steps-variant-order = Строка { $line }: в шаге { $step } ожидался вариант { $expected }, а указан { $found }.
error-campaign-steps-variant-letter = Строка { $line }: вариант — одна из букв { $letters }.
error-campaign-steps-weight = Строка { $line }: вес — от { $min } до { $max }.
error-campaign-steps-weights-over = Шаг { $step } (строка { $line }): веса вариантов вместе больше 100, и для вариантов без веса ничего не осталось.
error-campaign-steps-variant-count = Шаг { $step } (строка { $line }): вариантов { $count }, а в шаге 1 — { $first }. У следующих шагов один вариант или столько же, сколько в шаге 1.
error-campaign-steps-no-subject = Шаг { $step }, вариант { $variant } (строка { $line }): нет темы — первая строка «Тема: …».
error-campaign-steps-subject-long = Шаг { $step }, вариант { $variant } (строка { $line }): тема длиннее { $max } символов.
error-campaign-steps-no-body = Шаг { $step }, вариант { $variant } (строка { $line }): нет текста письма.
error-campaign-steps-body-long = Шаг { $step }, вариант { $variant } (строка { $line }): текст { $length } { $length ->
    [one] символ
    [few] символа
   *[many] символов
}, можно { $max }.
error-campaign-steps-field-typo = Опечатка в поле? { $names } — { $where }. Исправьте имя поля: такое поле не заполнится никогда, а запасное значение после | ушло бы в каждом письме.
error-campaign-steps-unknown-field = Поля { $names } нет — { $where }. Это не поле лида ({ $fields }) и не столбец лидов. Исправьте имя, сначала загрузите лидов с таким столбцом (/leads_import) или дайте запасное значение для лидов без него: { $example }
error-campaign-steps-html = HTML-теги { $tags } — { $where }. Письмо пишется простым текстом: теги дошли бы до лида как написаны. Напишите только текст, а ссылку — адресом (https://…); пустая строка начинает абзац, а с html=on HTML-часть делается из текста.
campaign-steps-where = шаг { $step }, вариант { $variant }, { $part } (строка { $line })
campaign-steps-part-subject = тема
campaign-steps-part-body = текст
arg-campaign-new-name = кампания
arg-campaign-new-settings = настройки ключ=значение
arg-campaign-set-name = кампания
arg-campaign-set-settings = настройки ключ=значение
arg-campaign-group-name = кампания
arg-campaign-group-mailboxes = ящики и домены
arg-campaign-steps-name = кампания
arg-campaign-steps-steps = цепочка писем
arg-campaign-steps-file = файл .txt
arg-campaign-preview-name = кампания
arg-campaign-preview-options = адрес лида, шаг, вариант
arg-campaign-test-name = кампания
arg-campaign-test-email = ваш адрес [шаг] [вариант]
arg-campaign-start-name = кампания
arg-campaign-confirm-token = подтверждение
arg-campaign-pause-name = кампания
arg-campaign-resume-name = кампания
arg-campaign-name = кампания
cmd-campaigns = кампании пространства
cmd-campaign-new = создать кампанию (дальше — подсказки)
cmd-campaign-set = настройки кампании: окно, дни, пояс, лимиты, HTML
cmd-campaign-group = группа ящиков кампании: адреса и/или домены
cmd-campaign-steps = цепочка писем: текстом после команды или файлом .txt
cmd-campaign-preview = как письмо выглядит для лида
cmd-campaign-test = отправить себе тестовое письмо
cmd-campaign-start = запустить кампанию (с проверками)
cmd-campaign-confirm = подтвердить запуск несмотря на предупреждения
cmd-campaign-pause = приостановить кампанию
cmd-campaign-resume = возобновить кампанию
cmd-campaign = кампания: прогресс и что сдерживает отправку
