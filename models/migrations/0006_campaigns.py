from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import CapKind, MessageKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0005_sending_engine')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AgencySetting',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('value', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'agency_setting', 'app': 'models', 'pk_attr': 'key', 'table_description': 'One agency-wide setting (admins change them from chat): e.g. `contact_window_days`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CampaignDeferral',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='deferrals', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('cap', fields.CharEnumField(description='PROVIDER: provider\nWARMUP: warmup\nHEALTH: health\nMAILBOX: mailbox\nDOMAIN: domain\nCAMPAIGN: campaign\nWORKSPACE: workspace\nSTATUS: status\nWINDOW: window\nPEERS: peers', enum_type=CapKind, max_length=16)),
                ('wanted', fields.IntField()),
                ('allowed', fields.IntField()),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'campaign_deferral', 'app': 'models', 'unique_together': (('campaign', 'day', 'cap'),), 'pk_attr': 'id', 'table_description': "On one day, a campaign had `wanted` sends due and the cap `cap` let only `allowed` go (the campaign's own"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Campaign',
            name='domains',
            field=fields.ManyToManyField('models.Domain', unique=True, db_constraint=True, through='campaign_domain', forward_key='domain_id', backward_key='campaign_id', related_name='campaigns', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Campaign',
            name='html',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Campaign',
            name='lead_timezone',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Campaign',
            name='started_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RemoveConstraint(
            model_name='CapDeferral',
            name=None,
            fields=['mailbox', 'day', 'cap'],
        ),
        ops.AddField(
            model_name='CapDeferral',
            name='source',
            field=fields.CharField(default='warmup', db_default='warmup', max_length=16),
        ),
        ops.AddConstraint(
            model_name='CapDeferral',
            constraint=UniqueConstraint(fields=('mailbox', 'day', 'cap', 'source'), name=None),
        ),
        ops.AddField(
            model_name='Enrollment',
            name='last_sent_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Enrollment',
            name='stopped_reason',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
        ops.AddField(
            model_name='Enrollment',
            name='variant',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddIndex(
            model_name='Enrollment',
            index=Index(fields=['campaign_id', 'state']),
        ),
        ops.AddField(
            model_name='Lead',
            name='timezone',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
        ops.AddField(
            model_name='Lead',
            name='validated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Lead',
            name='verdict_reason',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
        ops.AddIndex(
            model_name='Lead',
            index=Index(fields=['email']),
        ),
        ops.AlterField(
            model_name='OutboundMessage',
            name='kind',
            field=fields.CharEnumField(description='CAMPAIGN: campaign\nWARMUP: warmup\nTEST: test', enum_type=MessageKind, max_length=16),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='campaign',
            field=fields.ForeignKeyField('models.Campaign', source_field='campaign_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='html',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='OutboundMessage',
            name='links',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddIndex(
            model_name='OutboundMessage',
            index=Index(fields=['campaign_id', 'scheduled_at']),
        ),
        ops.AddField(
            model_name='Step',
            name='business_days',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
