
# smtp
mail-text = { $text ->
        [implicit-tls-expected] порт ждёт TLS сразу (SSL)
        [no-xoauth2] сервер не предлагает вход по токену (XOAUTH2)
        [no-password-auth] сервер не предлагает вход по паролю (PLAIN или LOGIN)
       *[other] { $text }
    }
smtp-accepted = Сервер принял письмо.
smtp-login-ok = Вход по SMTP работает.
smtp-transient = Временная ошибка сервера ({ $code } { $enhanced }): { mail-text }. Повтор через { $minutes } мин.
smtp-greylisted = Сервер применил грейлистинг; повтор через { $minutes } мин.
smtp-mailbox-full = Ящик получателя переполнен; повтор через { $minutes } мин.
smtp-server-closing = Сервер закрыл сеанс ({ $code } { $enhanced }): { mail-text }. Повтор через { $minutes } мин.
smtp-timeout = Сервер не ответил вовремя ({ $phase }); повтор через { $minutes } мин.
smtp-disconnected = Сервер разорвал соединение ({ $phase }); повтор через { $minutes } мин.
smtp-recipient-rejected = Адрес получателя не существует или не принимает почту ({ $code } { $enhanced }): { mail-text }. Адрес добавлен в стоп-лист.
smtp-sender-rejected = Сервер не принимает этот ящик как отправителя ({ $code } { $enhanced }): { mail-text }. Проверьте адрес и логин ящика.
smtp-policy-rejected = Сервер отклонил получателя по своим правилам ({ $code } { $enhanced }): { mail-text }.
smtp-message-rejected = Сервер отклонил письмо ({ $code } { $enhanced }): { mail-text }.
smtp-message-too-large = Письмо слишком большое для сервера ({ $code } { $enhanced }).
smtp-auth-failed = Неверный логин или пароль ({ $code } { $enhanced }): { mail-text }. Для ящика нужны новые учётные данные.
smtp-auth-app-password = Провайдер требует пароль приложения для внешних программ: создайте его в настройках ящика и импортируйте.
smtp-auth-no-access = Провайдер не разрешает этому ящику отправку по SMTP: включите почтовые программы (SMTP/IMAP) в настройках ящика.
smtp-auth-temporary = Временная ошибка входа ({ $code } { $enhanced }); повтор через { $minutes } мин.
smtp-auth-unavailable = Сервер не предлагает подходящего способа входа: { mail-text }.
smtp-throttled = Провайдер ограничивает этот ящик ({ $code } { $enhanced }): { mail-text }. Пауза на { $minutes } мин.
smtp-spam-rejected = Провайдер отклонил письмо как спам ({ $code } { $enhanced }): { mail-text }. Ящик на паузе { $minutes } мин.
smtp-connect-refused = Не удалось подключиться к { $host }:{ $port }: в соединении отказано (неверный хост или порт, либо сервер не работает).
smtp-connect-timeout = Не удалось подключиться к { $host }:{ $port }: нет ответа вовремя (неверный хост или порт, либо мешает файрвол).
smtp-connect-failed = Не удалось подключиться к { $host }:{ $port }: { mail-text }.
smtp-host-unknown = Имя SMTP-хоста { $host } не находится в DNS.
smtp-host-refused = К SMTP-серверу не подключаемся: { mail-text } — не почтовый порт или не публичный адрес (настройки MAIL_ALLOWED_PORTS, MAIL_ALLOW_PRIVATE_HOSTS).
smtp-no-greeting = { $host }:{ $port } принял соединение, но не поздоровался; возможно, порт ждёт TLS сразу (SSL, обычно 465).
smtp-not-smtp = На { $host }:{ $port } отвечает не SMTP-сервер (ответ: «{ mail-text }»): проверьте порт — SMTP обычно 587 (STARTTLS) или 465 (SSL).
smtp-greeting-rejected = Сервер сразу отказал в сеансе ({ $code } { $enhanced }): { mail-text }.
smtp-protocol-error = SMTP-сервер ответил неожиданно ({ $phase }): { mail-text }.
smtp-starttls-unsupported = { $host }:{ $port } не предлагает STARTTLS: выберите TLS сразу (SSL, обычно порт 465) или другой порт.
smtp-tls-mismatch = Порт { $port } на { $host } не говорит по TLS в указанном режиме ({ mail-text }): TLS сразу (SSL) обычно на порту 465, STARTTLS — на 587.
smtp-tls-required = Сервер требует шифрованное соединение: выберите STARTTLS или TLS сразу (SSL).
smtp-tls-certificate = Сертификат сервера не вызывает доверия: { mail-text }. Задайте CA для ящика или проверьте имя хоста.
smtp-tls-failed = Не удалось установить TLS с { $host }:{ $port }: { mail-text }.
error-mail-host-private = { $host } указывает на { $ip } — локальный адрес или адрес частной сети; администратор может разрешить такие почтовые серверы настройкой { $setting }.
error-mail-port-not-allowed = Порт { $port } ({ $host }) — не почтовый; разрешены: { $allowed }. Администратор может разрешить другие порты настройкой { $setting }.
mail-certificate-untrusted = сертификат сервера не вызывает доверия (издатель { $issuer }, хост { $host }; { $reason }; сертификат выдан для: { $names }): задайте CA или проверьте имя хоста. CA можно указать в столбце «ca» файла импорта, командой /mailbox_ca или попросить администратора задать его для всех ящиков (MAIL_CA_FILE).
smtp-dropped-during-data = Соединение оборвалось во время передачи письма; оно могло дойти, а могло и нет. Автоматически письмо не будет отправлено повторно.
smtp-timeout-during-data = Сервер не подтвердил письмо вовремя; оно могло дойти, а могло и нет. Автоматически письмо не будет отправлено повторно.
message-address-invalid = Неверный адрес почты: { $address }
message-address-local-not-latin = В адресе { $address } часть до @ должна быть латиницей (a–z, цифры, . _ -): адреса с кириллицей до @ наши почтовые серверы не отправляют (нужен SMTPUTF8).
message-id-invalid = Неверный Message-ID: { $message_id }
message-unsubscribe-url-invalid = Ссылка отписки должна быть адресом https:// без пробелов: { $url }
provider-endpoints-missing = Для провайдера { $provider } укажите и SMTP-, и IMAP-сервер.
provider-oauth-token-failed = Не удалось получить токен доступа Яндекс 360 (статус { $status }): проверьте ID и секрет сервисного приложения.

# imap and onboarding
mail-detail = { $detail ->
        [connection-refused] соединение отклонено (неверный хост или порт, либо сервер не работает)
        [host-unknown] имя хоста не находится в DNS
        [no-answer] нет ответа за отведённое время
        [no-greeting] сервер не поздоровался
        [capability-unanswered] сервер поздоровался, но дальше молчит
        [closed-before-greeting] соединение закрыто ещё до приветствия
        [starttls-not-offered] сервер не предлагает STARTTLS
        [starttls-refused] сервер отказал в STARTTLS
        [no-sasl-ir] сервер не принимает такой пароль одним шагом: нужен пароль латиницей
        [no-uidvalidity] сервер не сообщил номер версии папки (UIDVALIDITY)
       *[other] { $detail }
    }
imap-login-ok = Вход по IMAP работает.
error-imap-auth = IMAP-сервер не принял логин: { mail-detail }. Проверьте пароль (или пароль приложения) и что для ящика включены почтовые программы (IMAP).
error-imap-connect = Не удалось подключиться к IMAP-серверу { $host }:{ $port }: { mail-detail }.
error-imap-tls = Не удалось установить TLS с IMAP-сервером { $host }:{ $port }: { mail-detail }.
error-imap-no-starttls = IMAP-сервер { $host }:{ $port } не предлагает STARTTLS на этом порту: выберите SSL (обычно порт 993) или другой порт.
error-imap-certificate = Сертификат IMAP-сервера не вызывает доверия ({ mail-detail }): задайте CA или проверьте имя хоста.
error-imap-no-tls = Порт { $port } на { $host } не говорит по TLS сразу ({ mail-detail }): выберите для него STARTTLS или TLS сразу (SSL) на порту 993.
error-imap-no-greeting = IMAP-сервер { $host }:{ $port } принял соединение, но молчит ({ mail-detail }); вероятно, порт ждёт SSL (обычно 993).
error-imap-timeout = IMAP-сервер не ответил вовремя ({ mail-detail }).
error-imap-dropped = IMAP-сервер закрыл соединение: { mail-detail }.
error-imap-unavailable = IMAP-сервер временно недоступен: { mail-detail }.
error-imap-refused = К IMAP-серверу не подключаемся: { mail-detail } — не почтовый порт или не публичный адрес (настройки MAIL_ALLOWED_PORTS, MAIL_ALLOW_PRIVATE_HOSTS).
error-imap-folder = Не удалось открыть папку IMAP: { mail-detail }.
error-imap-protocol = IMAP-сервер ответил неожиданно: { mail-detail }.
error-imap-secret = Сохранённый пароль ящика не расшифровывается ключами этого процесса (ENCRYPTION_KEYS), поэтому вход не выполнялся. Перезапустите Mailfleet с текущим списком ключей (новый первым, затем старые) или импортируйте пароль заново.
error-imap-charset = IMAP-сервер не может принять пароль с нелатинскими символами: он не предлагает входа AUTH=PLAIN, а команда LOGIN берёт только латиницу. Пароль на сервер не отправлялся. Задайте ящику пароль латиницей (или пароль приложения).
error-imap-internal = Ящик не удалось прочитать из-за внутренней ошибки Mailfleet; она записана, код для поддержки: { $detail }.
error-imap-not-imap = На { $host }:{ $port } отвечает не IMAP-сервер (ответ: «{ mail-detail }»): проверьте порт — IMAP обычно 993 (SSL) или 143.
inbox-synced = Почта проверена.
inbox-skipped = Почта не проверялась: ящик в состоянии { $detail }.
inbox-busy = Почту этого ящика сейчас проверяет другой обработчик; ничего не сделано дважды.
error-inbox-mailbox-not-found = Такого ящика нет или он не ваш.
error-mailbox-secret = Сохранённый пароль ящика не расшифровывается текущими ключами: импортируйте ящик заново.
error-mailbox-not-found = В этом рабочем пространстве нет ящика { $address }.
error-mailbox-status-unknown = Неизвестное состояние ящика «{ $status }»: new, warming, active, cooldown, paused, disabled или retired.
error-mailbox-not-paused = { $address } в состоянии { $status }: возобновить можно только приостановленный или отключённый ящик.
mailbox-import-created = Добавлен.
mailbox-import-updated = Обновлён.
error-import-empty = Файл пустой.
error-import-no-header = В первой строке должны быть названия столбцов: как минимум «address» и «password» (или «token»); по желанию: provider, smtp_host, smtp_port, smtp_tls, imap_host, imap_port, imap_tls, display_name, username, ca. Первая строка этого файла: { $headers }.
error-import-header-is-row = Первая строка — это ящик ({ $address }), а не названия столбцов. Добавьте над ней строку заголовка, например address;password;smtp_host;imap_host, и пришлите файл снова.
error-import-no-rows = В файле только строка заголовка ({ $headers }) и ни одного ящика. Добавьте под ней по строке на ящик и пришлите снова.
error-import-too-many-rows = Слишком много строк: не больше { $limit } ящиков в файле.
error-import-row-malformed = В строке больше ячеек, чем столбцов в заголовке (лишний разделитель?).
error-import-csv-broken = Файл не читается как CSV, начиная со строки { $line } (незакрытая кавычка?).
error-import-unclosed-quote = Строка { $line }: кавычка открыта и не закрыта до конца файла, так что остаток файла стал бы одной ячейкой. Закройте кавычку (или уберите её) и пришлите файл снова.
error-import-control-char = В столбце «{ $column }» управляющий символ ({ $char }): уберите его и пришлите файл снова.
error-import-line-break = В столбце «{ $column }» перенос строки внутри ячейки (в кавычках): в этом столбце он недопустим. Уберите перенос и пришлите файл снова.
error-import-duplicate = Этот адрес уже есть в строке { $first }.
error-import-field-missing = Ячейка «{ $column }» пустая: не указан адрес ящика.
error-import-address-invalid = «{ $value }» — не адрес почты.
error-import-address-not-latin = В адресе «{ $value }» часть до @ должна быть латиницей (a–z, цифры, . _ -); домен может быть кириллическим.
error-import-secret-missing = Не указан ни пароль, ни токен.
error-import-secret-ambiguous = Укажите либо пароль, либо токен, но не оба.
error-import-provider-unknown = Неизвестный провайдер «{ $value }»: yandex360, mailru или generic.
error-import-provider-missing = Укажите провайдера (yandex360, mailru, generic) или SMTP- и IMAP-серверы.
error-import-hosts-missing = Для провайдера { $provider } нужны и smtp_host, и imap_host.
error-import-auth-unsupported = Провайдер { $provider } не принимает такой способ входа (токен вместо пароля?).
error-import-tls-invalid = Неизвестный режим TLS «{ $value }»: ssl, starttls или plain.
error-import-port-invalid = «{ $value }» — не номер порта (1–65535).
error-import-host-invalid = «{ $value }» — не имя хоста.
error-import-domain-foreign = Домен { $domain } не принадлежит этому рабочему пространству: сначала добавьте домен.
error-import-mailbox-foreign = Этот адрес принадлежит другому рабочему пространству.
error-import-login-failed = Сервер не принял логин; ящик не сохранён.
error-import-login-unchecked = Вход проверить не удалось (причина ниже); ящик не сохранён.
error-import-concurrent = Другой импорт одновременно добавил часть этих ящиков; ничего не сохранено. Отправьте файл ещё раз.

# bounce reasons (classifier)
bounce-reason-user-unknown = нет такого адресата
bounce-reason-mailbox-disabled = ящик отключён или заблокирован
bounce-reason-host-unknown = домен получателя не существует или не принимает почту
bounce-reason-mailbox-full = ящик переполнен
bounce-reason-expired = истёк срок доставки
bounce-reason-message-too-large = письмо слишком большое
bounce-reason-system-error = сбой сервера получателя
bounce-reason-network-error = сетевая ошибка
bounce-reason-blocked = наш IP или домен заблокирован (чёрный список, репутация)
bounce-reason-spam-detected = письмо признано спамом
bounce-reason-policy = отклонено правилами сервера получателя
bounce-reason-auth-failure = не пройдена проверка SPF, DKIM, DMARC или PTR
bounce-reason-rate-limited = превышен лимит частоты отправки
bounce-reason-greylisted = временная отсрочка (грейлистинг)
bounce-reason-undefined = причина не указана
bounce-class-hard = адрес недействителен
bounce-class-soft = временная ошибка
bounce-class-block = получатель отклонил нас

error-ca-too-many = Слишком много сертификатов: не больше { $limit } в одном файле CA.
error-ca-invalid = Это не сертификат CA в формате PEM (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----).
error-ca-private-key = В файле есть закрытый ключ: никогда не отправляйте его. Пришлите только сертификат CA (-----BEGIN CERTIFICATE-----).
error-ca-too-large = Файл CA слишком большой: не больше { $limit_kb } КБ (сертификат CA занимает 1–2 КБ).
alert-inbox-unreachable = Входящие ящика { $mailbox } { $read ->
        [never] ни разу не прочитаны (ящик добавлен { $since })
       *[other] не читаются с { $since }
    }: IMAP-сервер раз за разом недоступен ({ mail-detail }). Ответы, отказы доставки и просьбы об отписке на этот ящик не замечаются, поэтому письма кампаний с него придержаны, пока входящие снова не прочитаются (прогрев продолжается). Проверьте настройки IMAP ящика и сервер.
alert-inbox-unreadable-disabled = Ящик { $mailbox } отключён, но его входящие читаются до { $until }, чтобы не пропустить ответы, отказы доставки и просьбы об отписке на письма, отправленные до отключения, — а IMAP-сервер недоступен ({ mail-detail }); неудачных попыток подряд: { $failures }. Следующая попытка не раньше { $next }, дальше всё реже. Проверьте настройки IMAP ящика и сервер или выведите ящик из работы.

# failures in a few words: what a mailbox card, the list and the alerts name (`engine.mail.problem_key`)
mail-problem-other = сбой почтового сервера
mail-problem-smtp-auth-app-password = SMTP: нужен пароль приложения
mail-problem-smtp-auth-failed = SMTP: неверный логин или пароль
mail-problem-smtp-auth-no-access = SMTP: почтовые программы для ящика выключены
mail-problem-smtp-auth-temporary = SMTP: временная ошибка входа
mail-problem-smtp-auth-unavailable = SMTP: нет подходящего способа входа
mail-problem-smtp-connect-failed = SMTP: не удалось подключиться
mail-problem-smtp-connect-refused = SMTP: в соединении отказано (неверный хост или порт, либо сервер не работает)
mail-problem-smtp-connect-timeout = SMTP: сервер не отвечает (неверный хост или порт, либо мешает файрвол)
mail-problem-smtp-disconnected = SMTP: сервер разорвал соединение
mail-problem-smtp-dropped-during-data = SMTP: соединение оборвалось при передаче письма
mail-problem-smtp-greeting-rejected = SMTP: сервер сразу отказал в сеансе
mail-problem-smtp-greylisted = SMTP: грейлистинг, повтор позже
mail-problem-smtp-host-refused = SMTP: сервер не разрешён настройками (не почтовый порт или не публичный адрес)
mail-problem-smtp-host-unknown = SMTP: имя хоста не находится в DNS
mail-problem-smtp-mailbox-full = ящик получателя переполнен
mail-problem-smtp-message-rejected = SMTP: сервер отклонил письмо
mail-problem-smtp-message-too-large = SMTP: письмо слишком большое
mail-problem-smtp-no-greeting = SMTP: сервер не поздоровался (порт ждёт SSL?)
mail-problem-smtp-not-smtp = на этом порту не SMTP-сервер
mail-problem-smtp-policy-rejected = SMTP: отказ по правилам сервера
mail-problem-smtp-protocol-error = SMTP: неожиданный ответ сервера
mail-problem-smtp-recipient-rejected = адреса получателя нет
mail-problem-smtp-sender-rejected = SMTP: сервер не принимает ящик как отправителя
mail-problem-smtp-server-closing = SMTP: сервер закрыл сеанс
mail-problem-smtp-spam-rejected = SMTP: письмо отклонено как спам
mail-problem-smtp-starttls-unsupported = SMTP: сервер не предлагает STARTTLS
mail-problem-smtp-throttled = SMTP: провайдер ограничивает отправку
mail-problem-smtp-timeout = SMTP: сервер не ответил вовремя
mail-problem-smtp-timeout-during-data = SMTP: сервер не подтвердил письмо вовремя
mail-problem-smtp-tls-certificate = SMTP: сертификат сервера не вызывает доверия
mail-problem-smtp-tls-failed = SMTP: не удалось установить TLS
mail-problem-smtp-tls-mismatch = SMTP: режим TLS не подходит к порту
mail-problem-smtp-tls-required = SMTP: сервер требует шифрования
mail-problem-smtp-transient = SMTP: временная ошибка сервера
mail-problem-imap-auth = IMAP: сервер не принял логин
mail-problem-imap-connect = IMAP: не удалось подключиться
mail-problem-imap-tls = IMAP: не удалось установить TLS
mail-problem-imap-no-tls = IMAP: порт не говорит по TLS сразу
mail-problem-imap-certificate = IMAP: сертификат сервера не вызывает доверия
mail-problem-imap-no-greeting = IMAP: сервер молчит (порт ждёт SSL?)
mail-problem-imap-timeout = IMAP: сервер не ответил вовремя
mail-problem-imap-dropped = IMAP: сервер закрыл соединение
mail-problem-imap-unavailable = IMAP: сервер временно недоступен
mail-problem-imap-refused = IMAP: сервер не разрешён настройками (не почтовый порт или не публичный адрес)
mail-problem-imap-folder = IMAP: папка не открывается
mail-problem-imap-protocol = IMAP: неожиданный ответ сервера
mail-problem-imap-not-imap = на этом порту не IMAP-сервер
mail-problem-imap-no-starttls = IMAP: сервер не предлагает STARTTLS
mail-problem-imap-secret = IMAP: сохранённый пароль не расшифровывается ключами этого процесса (ENCRYPTION_KEYS)
mail-problem-imap-charset = IMAP: сервер не принимает пароль с нелатинскими символами
mail-problem-imap-internal = IMAP: внутренняя ошибка при чтении ящика
mail-problem-mail-port-not-allowed = порт не из разрешённых почтовых (настройка MAIL_ALLOWED_PORTS)
mail-problem-mail-host-private = сервер в локальной или частной сети (настройка MAIL_ALLOW_PRIVATE_HOSTS)
mail-problem-mail-certificate-untrusted = сертификат сервера не вызывает доверия
mail-problem-mailbox-secret = сохранённый пароль не расшифровывается
mail-problem-sent-folder-missing = у ящика нет папки «Отправленные»
mail-problem-recovery-no-account = ящик удалён или его пароль не расшифровывается
mail-problem-not-found = папка проверена, писем там нет
mail-provider-yandex360 = Яндекс 360
mail-provider-mailru = Mail.ru
mail-provider-generic = свой сервер
tls-implicit = SSL/TLS
tls-starttls = STARTTLS
tls-plain = без шифрования
