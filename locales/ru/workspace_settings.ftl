# /workspace_settings: a workspace's name, time zone and language

cmd-workspace-settings = название, часовой пояс и язык пространства; изменить одну из настроек
workspace-settings-title = Настройки пространства «{ $workspace }»
workspace-setting-line = { $name } = { $value } — { $hint }
workspace-setting-hint-name = название в списках, отчётах и оповещениях; короткое имя (slug) не меняется
workspace-setting-hint-timezone = часовой пояс: по нему считаются дни лимитов, окна отправки новых кампаний, отчёты и время сводки
workspace-setting-hint-lang = язык оповещений, сводок и отчётов в чатах пространства (ru или en); ответы вам — на языке из /lang
workspace-settings-hint = Изменить: /workspace_settings имя значение, например /workspace_settings timezone Asia/Vladivostok
workspace-setting-changed = Настройка пространства { $name }: было { $before }, стало { $after }.
workspace-setting-unchanged = Настройка пространства { $name } уже { $after }.
error-workspace-setting-unknown = Настройки «{ $name }» у пространства нет. Есть: { $known }.
error-workspace-timezone = Часовой пояс «{ $value }» не найден. Укажите название из базы IANA (Europe/Moscow, Asia/Yekaterinburg), московское время со сдвигом (МСК, МСК+4) или сдвиг от UTC (UTC+3).
error-workspace-name = Название пространства может быть длиной от 1 до { $max } { $max ->
    [one] символа
   *[other] символов
}; в этом — { $length }.
error-workspace-lang = Язык «{ $value }» не поддерживается. Можно: { $known }.
arg-workspace-settings-value = значение
