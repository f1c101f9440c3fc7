## Slack-only messages.

slack-file-too-large = The file is too large: at most { $limit_mb } MB. Split it into smaller files and send them one by one.
slack-download-failed = I could not download the file "{ $name }" from Slack. Please send it again.
