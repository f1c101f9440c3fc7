from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import CapKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index, PartialIndex

class Migration(migrations.Migration):
    dependencies = [('models', '0004_onboarding_fixes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CapDeferral',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('mailbox', fields.ForeignKeyField('models.Mailbox', source_field='mailbox_id', db_constraint=True, to_field='id', related_name='deferrals', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('cap', fields.CharEnumField(description='PROVIDER: provider\nWARMUP: warmup\nHEALTH: health\nMAILBOX: mailbox\nDOMAIN: domain\nCAMPAIGN: campaign\nWORKSPACE: workspace\nSTATUS: status\nWINDOW: window\nPEERS: peers', enum_type=CapKind, max_length=16)),
                ('wanted', fields.IntField()),
                ('allowed', fields.IntField()),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cap_deferral', 'app': 'models', 'unique_together': (('mailbox', 'day', 'cap'),), 'indexes': [Index(fields=['workspace_id', 'day'])], 'pk_attr': 'id', 'table_description': 'On one day, a mailbox wanted to send `wanted` and the cap `cap` allowed only `allowed`: what `/why` reads.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Mailbox',
            name='warmup_paused_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='body',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='claimed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='in_reply_to',
            field=fields.CharField(default='', db_default='', max_length=255),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='references',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddIndex(
            model_name='OutboundMessage',
            index=PartialIndex(fields=['claimed_at'], name='outbound_sending_claimed', condition={'status': 'sending'}),
        ),
    ]
