# /workspace_settings: a workspace's name, time zone and language

cmd-workspace-settings = the workspace's name, time zone and language; change one of them
workspace-settings-title = Settings of the workspace “{ $workspace }”
workspace-setting-line = { $name } = { $value } — { $hint }
workspace-setting-hint-name = the title shown in lists, reports and alerts; the short name (slug) stays
workspace-setting-hint-timezone = time zone: the day every cap counts, new campaigns' send windows, reports and the digest's hour
workspace-setting-hint-lang = the language of the alerts, digests and reports in the workspace's chats (ru or en); your own replies follow /lang
workspace-settings-hint = To change one: /workspace_settings name value, e.g. /workspace_settings timezone Asia/Vladivostok
workspace-setting-changed = Workspace setting { $name }: was { $before }, now { $after }.
workspace-setting-unchanged = Workspace setting { $name } is already { $after }.
error-workspace-setting-unknown = A workspace has no setting “{ $name }”. It has: { $known }.
error-workspace-timezone = Time zone “{ $value }” not found. Give its IANA name (Europe/Moscow, Asia/Yekaterinburg), Moscow time and its offset (MSK, MSK+4) or an offset from UTC (UTC+3).
error-workspace-name = A workspace's name may be 1 to { $max } { $max ->
    [one] character
   *[other] characters
} long; this one has { $length }.
error-workspace-lang = Language “{ $value }” is not supported. Choose: { $known }.
arg-workspace-settings-value = value
