"""Slack: the bolt transport (slash command, buttons, files), the Block Kit renderer and the Notifier.

`notifier` needs only the Web API client (slack_sdk); `transport` brings bolt. Import the module you need; this
package imports none, so a worker that only posts notifications never loads bolt.
"""
