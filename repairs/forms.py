"""Forms of the repair pages: every choice limited to the tenant's rows; code-area consistency
checked here (beside the field) and again in the service."""

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Item
from web.forms import ServiceCheckedModelForm

from . import selectors
from .models import (
    BomAction,
    BomState,
    BomVersion,
    Condition,
    DiagnosisArea,
    DiagnosisCode,
    RepairLine,
    RepairStage,
    Resolution,
    SymptomArea,
    SymptomCode,
)
from .services import check_codes

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CodeFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)


def code_form_class(model):
    fields = ["code", "name", "position", "is_active"]
    if model in (SymptomCode, DiagnosisCode):
        fields.insert(0, "area")
    if model is RepairStage:
        fields.append("is_finished")

    meta = type("Meta", (), {"model": model, "fields": fields})

    class CodeForm(ServiceCheckedModelForm):
        Meta = meta

        def __init__(self, *args, tenant, **kwargs):
            super().__init__(*args, **kwargs)
            if "area" in self.fields:
                area_model = SymptomArea if model is SymptomCode else DiagnosisArea
                self.fields["area"].queryset = area_model.objects.for_tenant(tenant)

    return CodeForm


def _limit(field: forms.ModelChoiceField, tenant, model) -> None:
    field.queryset = selectors.active_codes(tenant=tenant, model=model)


class RepairLineForm(ServiceCheckedModelForm):
    service_object = forms.ChoiceField(label=_("Object repaired"))

    class Meta:
        model = RepairLine
        fields = (
            "title",
            "condition",
            "symptom_area",
            "symptom_code",
            "diagnosis_area",
            "diagnosis_code",
            "resolution",
            "note",
        )
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, tenant, objects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.objects = {str(obj.pk): obj for obj in objects or []}
        if objects is None:
            del self.fields["service_object"]
        else:
            self.fields["service_object"].choices = [
                (str(obj.pk), f"{obj.number} · {obj.name}") for obj in objects
            ]
        for name, model in (
            ("condition", Condition),
            ("symptom_area", SymptomArea),
            ("symptom_code", SymptomCode),
            ("diagnosis_area", DiagnosisArea),
            ("diagnosis_code", DiagnosisCode),
            ("resolution", Resolution),
        ):
            _limit(self.fields[name], tenant, model)
        for name in ("symptom_code", "diagnosis_code"):
            self.fields[name].label_from_instance = lambda code: f"{code.area.name}: {code.name}"
        self.fields["symptom_code"].widget.attrs["data-suggest"] = "1"

    def clean_service_object(self):
        return self.objects.get(self.cleaned_data["service_object"])

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned.update(check_codes(tenant=self.tenant, data=cleaned))
        except forms.ValidationError as exc:
            for field, errors in exc.error_dict.items():
                for error in errors:
                    self.add_error(field, error)
        return cleaned


class StageMoveForm(forms.Form):
    stage = forms.ModelChoiceField(label=_("Repair stage"), queryset=RepairStage.objects.none())

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = selectors.active_codes(tenant=tenant, model=RepairStage)


class ApplyResolutionForm(forms.Form):
    resolution = forms.ModelChoiceField(label=_("Resolution"), queryset=Resolution.objects.none())

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resolution"].queryset = selectors.active_codes(tenant=tenant, model=Resolution)


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        error_messages={"required": _("Choose a photo to attach.")},
    )


# --- BOMs ----------------------------------------------------------------------------------------


class BomFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), *BomState.choices]
    )


class BomVersionForm(ServiceCheckedModelForm):
    class Meta:
        model = BomVersion
        fields = ("item", "valid_from", "valid_to", "note")
        widgets = {"valid_from": DATE, "valid_to": DATE}

    def __init__(self, *args, tenant, with_item=True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_item:
            self.fields["item"].queryset = Item.objects.for_tenant(tenant).filter(is_active=True)
        else:
            del self.fields["item"]


class BomLineForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Part"), queryset=Item.objects.none())
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=3, min_value=0.001, initial=1
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.for_tenant(tenant).filter(is_active=True)


class CompareForm(forms.Form):
    other = forms.ModelChoiceField(label=_("Compare with"), queryset=BomVersion.objects.none())

    def __init__(self, *args, tenant, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = (
            BomVersion.objects.for_tenant(tenant)
            .filter(item_id=version.item_id)
            .exclude(pk=version.pk)
            .select_related("item")
        )


# --- Service BOMs --------------------------------------------------------------------------------


class AsOfForm(forms.Form):
    as_of = forms.DateField(label=_("Structure as of"), required=False, widget=DATE)


class PartChangeForm(forms.Form):
    action = forms.ChoiceField(
        label=_("What was done"),
        choices=[c for c in BomAction.choices if c[0] != BomAction.CREATE],
        widget=forms.RadioSelect,
    )
    line = forms.ChoiceField(label=_("Part"), required=False)
    item = forms.ModelChoiceField(
        label=_("New part"),
        queryset=Item.objects.none(),
        required=False,
        help_text=_("Empty when replacing: the same item as the old part."),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=3, min_value=0.001, required=False
    )
    serial_number = forms.CharField(label=_("Serial number"), max_length=80, required=False)
    parent_slot = forms.ChoiceField(label=_("Part of"), required=False)
    add_order_line = forms.BooleanField(
        label=_("Add the new part to the order as an item line"), required=False
    )

    def __init__(self, *args, tenant, current, with_order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.for_tenant(tenant).filter(is_active=True)
        labels = [(str(n.line.pk), _part_label(n)) for n in current]
        self.fields["line"].choices = [("", "—"), *labels]
        self.fields["parent_slot"].choices = [("", "—")] + [
            (str(n.line.slot), _part_label(n)) for n in current
        ]
        if not with_order:
            del self.fields["add_order_line"]
        else:
            self.fields["add_order_line"].initial = True

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action in (BomAction.REMOVE, BomAction.REPLACE) and not cleaned.get("line"):
            self.add_error("line", _("Choose the part."))
        if action == BomAction.ADD and not cleaned.get("item"):
            self.add_error("item", _("Choose the part added."))
        return cleaned


def _part_label(node) -> str:
    line = node.line
    label = f"{'· ' * node.depth}{line.item.number} · {line.item.name} × {line.quantity:g}"
    return f"{label} ({line.serial_number})" if line.serial_number else label
