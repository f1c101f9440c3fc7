from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import EventKind, MailProvider
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_campaign_window_lead_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='DailyStat',
            name='bounces_block',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AlterField(
            model_name='Domain',
            name='mail_provider',
            field=fields.CharEnumField(null=True, description='YANDEX360: yandex360\nMAILRU: mailru\nGENERIC: generic', enum_type=MailProvider, max_length=16),
        ),
        ops.AlterField(
            model_name='Event',
            name='kind',
            field=fields.CharEnumField(description='SENT: sent\nOPEN: open\nCLICK: click\nREPLY: reply\nAUTO_REPLY: auto_reply\nBOUNCE_HARD: bounce_hard\nBOUNCE_SOFT: bounce_soft\nBOUNCE_BLOCK: bounce_block\nCOMPLAINT: complaint\nUNSUBSCRIBE: unsubscribe\nWARMUP_INBOX: warmup_inbox\nWARMUP_SPAM: warmup_spam\nSMTP_ERROR: smtp_error\nAUTH_ERROR: auth_error', enum_type=EventKind, max_length=16),
        ),
        ops.AddField(
            model_name='Mailbox',
            name='tls_ca_pem',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
    ]
