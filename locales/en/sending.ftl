## Sending: alerts

alert-mailbox-auth-disabled = Mailbox { $mailbox } is disabled: { $via ->
        [imap] IMAP
       *[other] SMTP
    } refused its login { $failures } { $failures ->
        [one] time
       *[other] times
    } in a row ({ $reason }). Check the password or app password and enable the mailbox again.
alert-smtp-unreachable = Mailbox { $mailbox } cannot reach its SMTP server ({ $reason }): its mail has waited since { $since }. Nothing is sent, and nothing fails or is lost: it goes out once the server answers. Check the mailbox's SMTP settings (/mailbox_test) and the server.
alert-send-unknown = Mailbox { $mailbox }: { $count } { $count ->
    [one] message with an unknown outcome. Sending was interrupted and it is not in the Sent folder ({ $reason }). It is not sent again.
   *[other] messages with an unknown outcome. Sending was interrupted and they are not in the Sent folder ({ $reason }). They are not sent again.
}
error-sent-folder-missing = The mailbox has no Sent folder
error-recovery-no-account = The mailbox is gone or its password cannot be decrypted
error-campaign-not-composed = The campaign message was not composed (the campaign content module is not wired in); it was not sent
