"""Seed the carriers the county programme works with (editable in the admin later)."""

from django.db import migrations

# A frozen copy: a data migration must not change when constants.py does.
CARRIERS = [
    ("sf", "SF Express 顺丰速运", "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}"),
    ("ems", "China Post EMS 中国邮政", "https://www.ems.com.cn/qps/yjcx?mailNum={number}"),
    ("jd", "JD Logistics 京东物流", "https://www.jdl.com/orderSearch/?waybillCodes={number}"),
    ("yto", "YTO Express 圆通速递", "https://www.yto.net.cn/queryWaybill?waybillNo={number}"),
    ("zto", "ZTO Express 中通快递", "https://www.zto.com/express/expressCheck.html?txtBill={number}"),
    ("sto", "STO Express 申通快递", "https://www.sto.cn/pc/service-page/waybill?bill={number}"),
    ("yunda", "Yunda Express 韵达快递", "https://www.yundaex.com/cn/index.php?mailno={number}"),
]


def seed(apps, schema_editor):
    Carrier = apps.get_model("fulfilment", "Carrier")
    for code, name, template in CARRIERS:
        Carrier.objects.update_or_create(
            code=code, defaults={"name": name, "tracking_url_template": template}
        )


def unseed(apps, schema_editor):
    Carrier = apps.get_model("fulfilment", "Carrier")
    Carrier.objects.filter(code__in=[c[0] for c in CARRIERS], shipments__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("fulfilment", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
