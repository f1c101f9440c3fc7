## Slack-only messages.

slack-file-too-large = The file is too large: at most { $limit_mb } MB. Split it into smaller files and send them one by one.
slack-reply-cut = The answer is longer than Slack lets me send here: { $lines ->
    [one] { $lines } more line is
   *[other] { $lines } more lines are
} not shown. Narrow the command down (a filter, a page, a name) to see them.
slack-download-failed = I could not download the file "{ $name }" from Slack. Please send it again.
slack-text-hint = I take commands through the slash command, for example /mailfleet help. A file goes to me here with the name of its command as the message text (for example, domain_add).
slack-file-no-command = What should I do with this file? Send it again with the name of its command as the message text (for example, domain_add); the commands: /mailfleet help
slack-file-how = In Slack a file reaches me in a direct message: open our chat, attach the file and write "{ $line }" as the message (without /mailfleet).
slack-not-member = But I am not a member of this channel, so nothing can reach it yet. Add me to the channel (its settings → Integrations → Add apps): what it is connected for starts arriving by itself.
slack-one-file = One file per message, please: this one has { $count } ({ $names }), so I did nothing with them. Send them one by one, each with the command as the message text.
slack-file-waiting = In Slack a file reaches me in a direct message: send it to our chat now, with no text, and I will take it for "{ $line }" (within { $minutes } { $minutes ->
    [one] minute
   *[other] minutes
}); or attach it with "{ $line }" as the message text (without /mailfleet).
slack-file-sent-dm = { $count ->
    [1] The file { $names } was
   *[other] The files { $names } were
} sent to you in a direct message with Mailfleet.
slack-file-dm-comment = { $count ->
    [1] The file
   *[other] The files
} of your command /mailfleet { $command }.
slack-file-dm-scope = { $count ->
    [1] The file { $names } was
   *[other] The files { $names } were
} not sent: the Mailfleet app in Slack lacks the { $scope } scope, and I do not post such files in the channel. Ask a Slack admin to add { $scope } to the app (OAuth & Permissions → Bot Token Scopes) and reinstall it, then run the command again.
slack-file-dm-busy = { $count ->
    [1] The file { $names } was
   *[other] The files { $names } were
} not sent: Slack asks us to slow down. Run the command again in { $seconds } { $seconds ->
    [one] second
   *[other] seconds
}; nothing was posted in the channel.
slack-file-dm-failed = I could not send { $names } to you in a direct message with Mailfleet (Slack answered: { $error }); nothing was posted in the channel. Try again later, and if it keeps failing, tell your Mailfleet admin.
