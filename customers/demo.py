"""Demo master data: customers with sites and contacts, items, object groups, service objects
(a boiler and its burner among them) and service tasks with checklists, per demo tenant in its
country's language: Polish names for acme, Brazilian ones for globex.

Also the agreement groups Gold, Silver and Bronze (Złota, Srebrna, Brązowa; Ouro, Prata,
Bronze) with their SLAs. Idempotent: records are found by
number or code (get_or_create); the fixed demo numbers are reserved in the tenant's number
sequences, so records created later continue after them.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from sla.models import ServiceLevelAgreement
from tenancy.demo import DEMO_PASSWORD
from tenancy.models import Membership, NumberSequence, Tenant, User
from tenancy.roles import Role
from tenancy.sequences import default_prefix

from . import services
from .models import (
    AgreementGroup,
    ContactLogin,
    Customer,
    CustomerContact,
    CustomerSite,
    Item,
    ServiceObject,
    ServiceObjectGroup,
    ServiceTask,
)


@dataclass(frozen=True)
class DemoSite:
    name: str
    street: str
    postal_code: str
    city: str


@dataclass(frozen=True)
class DemoContact:
    name: str
    role: str
    email: str
    phone: str


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    email: str
    phone: str
    sites: tuple[DemoSite, ...]
    contacts: tuple[DemoContact, ...]


@dataclass(frozen=True)
class DemoObject:
    customer: int  # index into the country's customers
    names: tuple[str, str]  # Polish, Portuguese
    item: str | None  # item number
    serial: str = ""
    group: str | None = None
    site: int = 0
    parent: int | None = None  # index into the objects (an earlier one)
    installed: datetime.date | None = None
    warranty_years: int = 0


CUSTOMERS = {
    "PL": (
        DemoCustomer(
            "Hotel Wawel Sp. z o.o.",
            "recepcja@hotelwawel.pl",
            "+48 12 421 10 20",
            (DemoSite("Hotel", "ul. Grodzka 12", "31-006", "Kraków"),),
            (
                DemoContact(
                    "Katarzyna Nowak",
                    "Kierownik techniczny",
                    "k.nowak@hotelwawel.pl",
                    "+48 601 234 567",
                ),
                DemoContact("Jan Kamiński", "Recepcja", "j.kaminski@hotelwawel.pl", ""),
            ),
        ),
        DemoCustomer(
            "Szpital Miejski w Gdańsku",
            "sekretariat@szpital-gdansk.pl",
            "+48 58 764 01 00",
            (DemoSite("Szpital", "ul. Kartuska 4", "80-104", "Gdańsk"),),
            (
                DemoContact(
                    "Piotr Wiśniewski",
                    "Dział techniczny",
                    "p.wisniewski@szpital-gdansk.pl",
                    "+48 602 345 678",
                ),
            ),
        ),
        DemoCustomer(
            "Mokotów Plaza Sp. z o.o.",
            "biuro@mokotowplaza.pl",
            "+48 22 543 21 00",
            (
                DemoSite("Budynek A", "ul. Domaniewska 39", "02-672", "Warszawa"),
                DemoSite("Budynek B", "ul. Domaniewska 41", "02-672", "Warszawa"),
            ),
            (
                DemoContact(
                    "Anna Kowalczyk",
                    "Zarządca nieruchomości",
                    "a.kowalczyk@mokotowplaza.pl",
                    "+48 603 456 789",
                ),
            ),
        ),
        DemoCustomer(
            "Centrum Handlowe Rondo",
            "administracja@ch-rondo.pl",
            "+48 42 636 50 50",
            (DemoSite("Centrum", "al. Piłsudskiego 15/23", "90-307", "Łódź"),),
            (
                DemoContact(
                    "Marek Wójcik", "Inspektor ppoż.", "m.wojcik@ch-rondo.pl", "+48 604 567 890"
                ),
            ),
        ),
        DemoCustomer(
            "Wodociągi Wielkopolskie S.A.",
            "kontakt@wodociagi-wlkp.pl",
            "+48 61 835 90 00",
            (DemoSite("Stacja uzdatniania wody", "ul. Głogowska 55", "60-738", "Poznań"),),
            (
                DemoContact(
                    "Tomasz Zieliński",
                    "Kierownik stacji",
                    "t.zielinski@wodociagi-wlkp.pl",
                    "+48 605 678 901",
                ),
            ),
        ),
        DemoCustomer(
            "Piekarnia Złoty Kłos",
            "zamowienia@zlotyklos.pl",
            "+48 71 344 12 12",
            (DemoSite("Piekarnia", "ul. Kościuszki 98", "50-442", "Wrocław"),),
            (
                DemoContact(
                    "Magdalena Lewandowska",
                    "Właścicielka",
                    "m.lewandowska@zlotyklos.pl",
                    "+48 606 789 012",
                ),
            ),
        ),
    ),
    "BR": (
        DemoCustomer(
            "Hotel Copacabana Mar Ltda.",
            "recepcao@copacabanamar.com.br",
            "+55 21 2545-8000",
            (DemoSite("Hotel", "Av. Atlântica, 1702", "22021-001", "Rio de Janeiro"),),
            (
                DemoContact(
                    "Ana Souza",
                    "Gerente de manutenção",
                    "ana.souza@copacabanamar.com.br",
                    "+55 21 99876-5432",
                ),
                DemoContact("Bruno Alves", "Recepção", "bruno.alves@copacabanamar.com.br", ""),
            ),
        ),
        DemoCustomer(
            "Hospital São Lucas",
            "contato@hsaolucas.org.br",
            "+55 51 3320-3000",
            (DemoSite("Hospital", "Av. Ipiranga, 6690", "90610-000", "Porto Alegre"),),
            (
                DemoContact(
                    "João Pereira",
                    "Engenharia clínica",
                    "joao.pereira@hsaolucas.org.br",
                    "+55 51 99765-4321",
                ),
            ),
        ),
        DemoCustomer(
            "Paulista Corporate Empreendimentos",
            "administracao@paulistacorporate.com.br",
            "+55 11 3284-1500",
            (
                DemoSite("Torre Norte", "Av. Paulista, 1578", "01310-200", "São Paulo"),
                DemoSite("Torre Sul", "Av. Paulista, 1580", "01310-200", "São Paulo"),
            ),
            (
                DemoContact(
                    "Mariana Costa",
                    "Síndica",
                    "mariana.costa@paulistacorporate.com.br",
                    "+55 11 98654-3210",
                ),
            ),
        ),
        DemoCustomer(
            "Shopping Recife Center",
            "adm@recifecenter.com.br",
            "+55 81 3464-6000",
            (DemoSite("Shopping", "Av. Boa Viagem, 3300", "51020-000", "Recife"),),
            (
                DemoContact(
                    "Carlos Oliveira",
                    "Segurança contra incêndio",
                    "carlos.oliveira@recifecenter.com.br",
                    "+55 81 99543-2109",
                ),
            ),
        ),
        DemoCustomer(
            "Saneamento Mineiro S.A.",
            "atendimento@saneamentomineiro.com.br",
            "+55 31 3250-2000",
            (
                DemoSite(
                    "Estação de tratamento", "Rua da Bahia, 1148", "30160-011", "Belo Horizonte"
                ),
            ),
            (
                DemoContact(
                    "Fernanda Lima",
                    "Chefe da estação",
                    "fernanda.lima@saneamentomineiro.com.br",
                    "+55 31 99432-1098",
                ),
            ),
        ),
        DemoCustomer(
            "Padaria Pão Dourado",
            "pedidos@paodourado.com.br",
            "+55 41 3223-4455",
            (DemoSite("Padaria", "Rua XV de Novembro, 700", "80020-310", "Curitiba"),),
            (
                DemoContact(
                    "Rafael Santos", "Proprietário", "rafael@paodourado.com.br", "+55 41 99321-0987"
                ),
            ),
        ),
    ),
}

# number, Polish name, Portuguese name, unit, serial-tracked, cost, sales price
ITEMS = (
    ("M-1001", "Podchloryn sodu 15%", "Hipoclorito de sódio 15%", "kg", False, "4.20", "7.50"),
    ("M-1002", "Filtr kasetowy G4", "Filtro de ar G4", "pcs", False, "45.00", "80.00"),
    (
        "U-2001",
        "Kocioł gazowy kondensacyjny 25 kW",
        "Caldeira a gás de condensação 25 kW",
        "pcs",
        True,
        "5200.00",
        "7400.00",
    ),
    ("U-2002", "Palnik gazowy 30 kW", "Queimador a gás 30 kW", "pcs", True, "1800.00", "2600.00"),
    (
        "U-2003",
        "Pompa ciepła powietrze-woda 12 kW",
        "Bomba de calor ar-água 12 kW",
        "pcs",
        True,
        "21000.00",
        "28500.00",
    ),
    (
        "U-2004",
        "Klimatyzator split 3,5 kW",
        "Ar-condicionado split 12.000 BTU",
        "pcs",
        True,
        "2900.00",
        "4100.00",
    ),
    (
        "U-2005",
        "Centrala wentylacyjna 4000 m³/h",
        "Unidade de tratamento de ar 4.000 m³/h",
        "pcs",
        True,
        "38000.00",
        "49000.00",
    ),
    ("U-2006", "Gaśnica proszkowa GP-6", "Extintor de pó ABC 6 kg", "pcs", True, "95.00", "160.00"),
    ("U-2007", "Pompa dozująca", "Bomba dosadora", "pcs", True, "3400.00", "4700.00"),
)

# code, Polish name, Portuguese name
GROUPS = (
    ("HEAT", "Ogrzewanie", "Aquecimento"),
    ("COOL", "Chłodzenie i klimatyzacja", "Refrigeração e climatização"),
    ("VENT", "Wentylacja", "Ventilação"),
)

# code, minutes, skill, (Polish name, checklist, note), (Portuguese name, checklist, note)
TASKS = (
    (
        "BOIL-INSP",
        90,
        "gas",
        (
            "Przegląd roczny kotła",
            "Sprawdzić ciśnienie instalacji\nSprawdzić szczelność połączeń gazowych\n"
            "Wyczyścić wymiennik ciepła\nZmierzyć parametry spalin\nWpisać przegląd do książki",
            "Prosimy o zapewnienie dostępu do kotłowni.",
        ),
        (
            "Inspeção anual da caldeira",
            "Verificar a pressão do sistema\nTestar a estanqueidade do gás\n"
            "Limpar o trocador de calor\nMedir os gases de combustão\nRegistrar no livro",
            "Por favor, garanta o acesso à casa de máquinas.",
        ),
    ),
    (
        "BURN-CLEAN",
        60,
        "gas",
        (
            "Czyszczenie palnika",
            "Wyłączyć i zabezpieczyć palnik\nWyczyścić dyszę i elektrody\n"
            "Sprawdzić płomień po uruchomieniu",
            "",
        ),
        (
            "Limpeza do queimador",
            "Desligar e bloquear o queimador\nLimpar o bico e os eletrodos\n"
            "Verificar a chama após a partida",
            "",
        ),
    ),
    (
        "FGAS",
        45,
        "f-gas",
        (
            "Kontrola szczelności F-gaz",
            "Sprawdzić szczelność układu\nOdczytać ciśnienia robocze\nWpisać wynik do CRO",
            "Kontrola wymagana przepisami o F-gazach.",
        ),
        (
            "Teste de vazamento de gás refrigerante",
            "Testar a estanqueidade do circuito\nLer as pressões de trabalho\n"
            "Registrar o resultado",
            "Teste exigido pela legislação ambiental.",
        ),
    ),
    (
        "FILTER",
        30,
        "hvac",
        (
            "Wymiana filtrów",
            "Wyłączyć centralę\nWymienić filtry\nSprawdzić różnicę ciśnień",
            "",
        ),
        (
            "Troca de filtros",
            "Desligar a unidade\nTrocar os filtros\nVerificar a pressão diferencial",
            "",
        ),
    ),
    (
        "FIRE-EXT",
        20,
        "fire safety",
        (
            "Przegląd gaśnic",
            "Sprawdzić plombę i ciśnienie\nSprawdzić datę legalizacji\nNakleić etykietę przeglądu",
            "Przegląd zgodny z PN-EN 3.",
        ),
        (
            "Inspeção de extintores",
            "Verificar o lacre e a pressão\nConferir a validade\nAfixar a etiqueta de inspeção",
            "Inspeção conforme a ABNT NBR 12962.",
        ),
    ),
    (
        "WATER-TEST",
        40,
        "water",
        (
            "Badanie jakości wody",
            "Pobrać próbki\nZmierzyć pH i chlor wolny\nSkalibrować pompę dozującą",
            "",
        ),
        (
            "Análise da qualidade da água",
            "Coletar amostras\nMedir pH e cloro livre\nCalibrar a bomba dosadora",
            "",
        ),
    ),
)

# (Polish name, Portuguese name) for each object, in the order of OBJECTS below.
OBJECTS = (
    DemoObject(
        customer=0,
        names=("Kocioł gazowy – kotłownia", "Caldeira – casa de máquinas"),
        item="U-2001",
        serial="VC25-2021-004512",
        group="HEAT",
        installed=datetime.date(2021, 9, 14),
        warranty_years=5,
    ),
    DemoObject(
        customer=0,
        names=("Palnik kotła", "Queimador da caldeira"),
        item="U-2002",
        serial="BG30-2021-118734",
        group="HEAT",
        parent=0,
        installed=datetime.date(2021, 9, 14),
        warranty_years=2,
    ),
    DemoObject(
        customer=0,
        names=("Klimatyzacja – sala konferencyjna", "Ar-condicionado – sala de eventos"),
        item="U-2004",
        serial="SP35-2023-77120",
        group="COOL",
        installed=datetime.date(2023, 5, 2),
        warranty_years=3,
    ),
    DemoObject(
        customer=1,
        names=("Centrala wentylacyjna – skrzydło A", "Unidade de tratamento de ar – ala A"),
        item="U-2005",
        serial="AHU4-2019-0042",
        group="VENT",
        installed=datetime.date(2019, 11, 20),
        warranty_years=5,
    ),
    DemoObject(
        customer=1,
        names=("Centrala wentylacyjna – skrzydło B", "Unidade de tratamento de ar – ala B"),
        item="U-2005",
        serial="AHU4-2020-0107",
        group="VENT",
        installed=datetime.date(2020, 3, 9),
        warranty_years=5,
    ),
    DemoObject(
        customer=2,
        names=("Pompa ciepła – dach", "Bomba de calor – cobertura"),
        item="U-2003",
        serial="HP12-2022-30981",
        group="HEAT",
        installed=datetime.date(2022, 10, 3),
        warranty_years=5,
    ),
    DemoObject(
        customer=2,
        names=("Klimatyzacja – serwerownia", "Ar-condicionado – sala de servidores"),
        item="U-2004",
        serial="SP35-2022-65002",
        group="COOL",
        site=1,
        installed=datetime.date(2022, 6, 21),
        warranty_years=3,
    ),
    DemoObject(
        customer=2,
        names=("Licencja systemu BMS", "Licença do sistema de automação predial"),
        item=None,
    ),
    DemoObject(
        customer=3,
        names=("Gaśnice – parter", "Extintores – térreo"),
        item="U-2006",
        serial="GP6-2024-A0113",
        installed=datetime.date(2024, 2, 1),
        warranty_years=5,
    ),
    DemoObject(
        customer=3,
        names=("Gaśnice – piętro 1", "Extintores – 1º piso"),
        item="U-2006",
        serial="GP6-2024-A0114",
        installed=datetime.date(2024, 2, 1),
        warranty_years=5,
    ),
    DemoObject(
        customer=4,
        names=("Pompa dozująca chloru", "Bomba dosadora de cloro"),
        item="U-2007",
        serial="DP-2020-5521",
        installed=datetime.date(2020, 7, 15),
        warranty_years=2,
    ),
    DemoObject(
        customer=4,
        names=("Kocioł gazowy – budynek socjalny", "Caldeira – prédio administrativo"),
        item="U-2001",
        serial="VC25-2018-001207",
        group="HEAT",
        installed=datetime.date(2018, 10, 1),
        warranty_years=5,
    ),
    DemoObject(
        customer=4,
        names=("Palnik kotła – budynek socjalny", "Queimador – prédio administrativo"),
        item="U-2002",
        serial="BG30-2018-090211",
        group="HEAT",
        parent=11,
        installed=datetime.date(2018, 10, 1),
        warranty_years=2,
    ),
    DemoObject(
        customer=5,
        names=("Komora chłodnicza", "Câmara frigorífica"),
        item=None,
        group="COOL",
        installed=datetime.date(2017, 4, 10),
    ),
    DemoObject(
        customer=5,
        names=("Klimatyzacja – sklep", "Ar-condicionado – loja"),
        item="U-2004",
        serial="SP35-2024-80455",
        group="COOL",
        installed=datetime.date(2024, 6, 5),
        warranty_years=3,
    ),
)


def _language(tenant: Tenant) -> int:
    """0: Polish texts, 1: Brazilian Portuguese texts."""
    return 1 if tenant.country == "BR" else 0


def _reserved_number(tenant: Tenant, key: str, value: int) -> str:
    """The ``value``-th number of the tenant's sequence; the sequence moves past it."""
    sequence, _ = NumberSequence.objects.get_or_create(
        tenant=tenant, key=key, defaults={"prefix": default_prefix(key)}
    )
    if sequence.next_value <= value:
        sequence.next_value = value + 1
        sequence.save(update_fields=["next_value"])
    return sequence.format(value)


# code, Polish name, Portuguese name
AGREEMENT_GROUPS = [
    ("GOLD", "Złota", "Ouro"),
    ("SILVER", "Srebrna", "Prata"),
    ("BRONZE", "Brązowa", "Bronze"),
]
# The units and skills of the items and tasks above, as each language writes them.
UNITS = {"pcs": ("szt.", "un."), "kg": ("kg", "kg")}
SKILLS = {
    "gas": ("instalacje gazowe", "gás"),
    "f-gas": ("F-gazy", "gás refrigerante"),
    "hvac": ("wentylacja i klimatyzacja", "climatização"),
    "fire safety": ("ochrona przeciwpożarowa", "combate a incêndio"),
    "water": ("uzdatnianie wody", "tratamento de água"),
}


def _agreement_groups(tenant: Tenant, manager: User | None) -> None:
    language = _language(tenant)
    for code, *names in AGREEMENT_GROUPS:
        name = names[language]
        if AgreementGroup.objects.for_tenant(tenant).filter(code=code).exists():
            continue
        sla = ServiceLevelAgreement.objects.for_tenant(tenant).filter(code=code).first()
        services.agreement_group_create(
            tenant=tenant, by=manager, data={"code": code, "name": name, "default_sla": sla}
        )


def seed(*, tenant: Tenant, people: dict[str, User]) -> None:
    _agreement_groups(tenant, people.get("manager"))
    customers = _customers(tenant)
    items = _items(tenant)
    groups = _groups(tenant)
    _objects(tenant, customers, items, groups)
    _tasks(tenant)
    _contact_login(tenant, customers[0])
    _imported_customers(tenant, people.get("manager"))


# The demo customer contact (contact@<slug>.test): a person at the tenant's first customer.
CONTACT_PEOPLE = {
    "PL": ("Katarzyna", "Mazur", "Kierownik obiektu"),
    "BR": ("Camila", "Ribeiro", "Gerente predial"),
}


def _contact_login(tenant: Tenant, customer: Customer) -> None:
    """The demo customer contact: a login with that role in the tenant's language, bound to the
    first customer and to its contact record of the same address."""
    first, last, role = CONTACT_PEOPLE["BR" if tenant.country == "BR" else "PL"]
    email = f"contact@{tenant.slug}.test"
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"first_name": first, "last_name": last, "language": tenant.default_language},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(
        tenant=tenant, user=user, defaults={"role": Role.CUSTOMER_CONTACT}
    )
    if not ContactLogin.objects.for_tenant(tenant).filter(user=user).exists():
        CustomerContact.objects.get_or_create(
            tenant=tenant,
            customer=customer,
            email=email,
            defaults={"name": f"{first} {last}", "role": role, "phone": "", "is_primary": False},
        )
        services.contact_login_bind(tenant=tenant, user=user, customer_id=customer.pk)


# Customers the manager moved over from the earlier system (Administration → Import data): their
# legacy numbers are kept. File name, then rows of number, name, e-mail, phone.
IMPORTED = {
    "PL": (
        "klienci-z-poprzedniego-systemu.csv",
        [
            ("K-10417", "Szkoła Podstawowa nr 12", "sekretariat@sp12.test", "+48 12 411 04 17"),
            ("K-10452", "Apteka Pod Orłem", "apteka@podorlem.test", "+48 12 411 04 52"),
        ],
    ),
    "BR": (
        "clientes-do-sistema-anterior.csv",
        [
            ("K-20311", "Escola Estadual Rui Barbosa", "secretaria@eerb.test", "+55 11 3311 2031"),
            ("K-20345", "Farmácia Boa Saúde", "contato@boasaude.test", "+55 11 3311 2034"),
        ],
    ),
}


def _imported_customers(tenant: Tenant, manager: User | None) -> None:
    from web.imports import Table, batch_create, batch_run, import_kind
    from web.models import ImportBatch

    file_name, rows = IMPORTED["BR" if tenant.country == "BR" else "PL"]
    if ImportBatch.objects.for_tenant(tenant).filter(file_name=file_name).exists():
        return
    table = Table(["number", "name", "email", "phone"], [list(row) for row in rows])
    batch = batch_create(
        tenant=tenant, by=manager, kind=import_kind("customers"), file_name=file_name, table=table
    )
    batch_run(tenant=tenant, by=manager, batch_id=batch.pk, valid_only=False)


def _customers(tenant: Tenant) -> list[Customer]:
    specs = CUSTOMERS["BR" if tenant.country == "BR" else "PL"]
    customers = []
    for index, spec in enumerate(specs, start=1):
        customer, _ = Customer.objects.get_or_create(
            tenant=tenant,
            number=_reserved_number(tenant, "customer", index),
            defaults={"name": spec.name, "email": spec.email, "phone": spec.phone},
        )
        for position, site in enumerate(spec.sites):
            CustomerSite.objects.get_or_create(
                tenant=tenant,
                customer=customer,
                name=site.name,
                defaults={
                    "street": site.street,
                    "postal_code": site.postal_code,
                    "city": site.city,
                    "country": tenant.country,
                    "is_default": position == 0,
                },
            )
        for position, contact in enumerate(spec.contacts):
            CustomerContact.objects.get_or_create(
                tenant=tenant,
                customer=customer,
                name=contact.name,
                defaults={
                    "role": contact.role,
                    "email": contact.email,
                    "phone": contact.phone,
                    "is_primary": position == 0,
                },
            )
        customers.append(customer)
    return customers


def _items(tenant: Tenant) -> dict[str, Item]:
    language = _language(tenant)
    items = {}
    for number, name_pl, name_pt, unit, serial_tracked, cost, sales in ITEMS:
        items[number], _ = Item.objects.get_or_create(
            tenant=tenant,
            number=number,
            defaults={
                "name": (name_pl, name_pt)[language],
                "unit": UNITS[unit][language],
                "is_serial_tracked": serial_tracked,
                "cost_price": Decimal(cost),
                "sales_price": Decimal(sales),
            },
        )
    return items


def _groups(tenant: Tenant) -> dict[str, ServiceObjectGroup]:
    language = _language(tenant)
    groups = {}
    for code, name_pl, name_pt in GROUPS:
        groups[code], _ = ServiceObjectGroup.objects.get_or_create(
            tenant=tenant, code=code, defaults={"name": (name_pl, name_pt)[language]}
        )
    return groups


def _objects(tenant, customers, items, groups) -> None:
    language = _language(tenant)
    created: list[ServiceObject] = []
    for index, spec in enumerate(OBJECTS, start=1):
        customer = customers[spec.customer]
        sites = list(customer.sites.filter(tenant=tenant).order_by("-is_default", "name"))
        warranty_end = None
        if spec.installed and spec.warranty_years:
            warranty_end = spec.installed.replace(year=spec.installed.year + spec.warranty_years)
        obj, _ = ServiceObject.objects.get_or_create(
            tenant=tenant,
            number=_reserved_number(tenant, "service_object", index),
            defaults={
                "name": spec.names[language],
                "customer": customer,
                "site": sites[min(spec.site, len(sites) - 1)] if sites else None,
                "item": items[spec.item] if spec.item else None,
                "serial_number": spec.serial,
                "group": groups[spec.group] if spec.group else None,
                "install_date": spec.installed,
                "warranty_end": warranty_end,
                "parent": created[spec.parent] if spec.parent is not None else None,
            },
        )
        created.append(obj)


# Task categories (rate cards price a category at one hour rate): Polish, Portuguese.
TASK_CATEGORIES = {
    "BOIL-INSP": ("Przeglądy okresowe", "Inspeções periódicas"),
    "FIRE-EXT": ("Przeglądy okresowe", "Inspeções periódicas"),
    "WATER-TEST": ("Przeglądy okresowe", "Inspeções periódicas"),
    "BURN-CLEAN": ("Konserwacja", "Manutenção preventiva"),
    "FILTER": ("Konserwacja", "Manutenção preventiva"),
    "FGAS": ("Instalacje chłodnicze", "Refrigeração"),
}


def _tasks(tenant: Tenant) -> None:
    language = _language(tenant)
    for code, minutes, skill, *texts in TASKS:
        name, checklist, note = texts[language]
        task, created = ServiceTask.objects.get_or_create(
            tenant=tenant,
            code=code,
            defaults={
                "name": name,
                "default_duration_minutes": minutes,
                "required_skill": SKILLS[skill][language],
                "category": TASK_CATEGORIES[code][language],
                "checklist": checklist,
                "customer_note": note,
            },
        )
        if not created and not task.category:  # laid before tasks had categories
            task.category = TASK_CATEGORIES[code][language]
            task.save(update_fields=["category"])
