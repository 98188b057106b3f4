from django.urls import path

from . import views

app_name = "invoicing"

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/receivables/", views.receivables, name="receivables"),
    path("invoices/new-line/", views.draft_line_add, name="draft_line_add"),
    path("invoices/issue-drafts/", views.invoice_issue_drafts, name="invoice_issue_drafts"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/cancel/", views.invoice_cancel, name="invoice_cancel"),
    path("invoices/<int:pk>/notes/", views.invoice_notes, name="invoice_notes"),
    path(
        "invoices/<int:pk>/lines/<int:line_pk>/remove/",
        views.draft_line_remove,
        name="draft_line_remove",
    ),
    path("invoices/<int:pk>/payments/", views.payment_add, name="payment_add"),
    path("invoices/<int:pk>/credit/", views.credit_note_create, name="credit_note_create"),
]
