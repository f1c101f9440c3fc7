from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import LegalBasis, SuppressionReason
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_plan_change')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='AuditLog',
            index=Index(fields=['created_at', 'id']),
        ),
        ops.AddIndex(
            model_name='AuditLog',
            index=Index(fields=['workspace_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Event',
            index=Index(fields=['workspace_id', 'occurred_at']),
        ),
        ops.AddIndex(
            model_name='Event',
            index=Index(fields=['lead_id']),
        ),
        ops.AddIndex(
            model_name='OutboundMessage',
            index=Index(fields=['lead_id']),
        ),
        ops.AddField(
            model_name='Lead',
            name='basis_note',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
        ops.RunSQL(  # legal_basis was free text: the words are kept as the note, the basis named by its first word
            """
            ALTER TABLE lead ALTER COLUMN legal_basis DROP NOT NULL;
            UPDATE lead SET basis_note = left(legal_basis, 200) WHERE legal_basis <> '';
            UPDATE lead SET legal_basis = CASE lower(split_part(btrim(legal_basis), ' ', 1))
                WHEN 'consent' THEN 'consent' WHEN 'согласие' THEN 'consent'
                WHEN 'contract' THEN 'contract' WHEN 'договор' THEN 'contract'
                WHEN 'public_contact' THEN 'public_contact' WHEN 'public' THEN 'public_contact'
                WHEN 'публичный' THEN 'public_contact'
                ELSE NULL END;
            """,
            reverse_sql="UPDATE lead SET legal_basis = coalesce(nullif(basis_note, ''), legal_basis, '');",
        ),
        ops.AlterField(
            model_name='Lead',
            name='legal_basis',
            field=fields.CharEnumField(null=True, description='CONSENT: consent\nCONTRACT: contract\nPUBLIC_CONTACT: public_contact', enum_type=LegalBasis, max_length=32),
        ),
        ops.AlterField(
            model_name='Suppression',
            name='reason',
            field=fields.CharEnumField(description='BOUNCE: bounce\nUNSUBSCRIBE: unsubscribe\nCOMPLAINT: complaint\nMANUAL: manual\nFORGOTTEN: forgotten', enum_type=SuppressionReason, max_length=16),
        ),
        ops.AddField(
            model_name='Workspace',
            name='retention_days',
            field=fields.IntField(null=True),
        ),
    ]
