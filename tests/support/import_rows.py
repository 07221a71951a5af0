"""The header and rows of a valid customer import file."""

from __future__ import annotations

HEADER = (
    "CustomerID,AccountName,Domain,OrgSize,Industry,Vertical,City,State,PostalCode,Country,"
    "IsNonprofit,AzureMonthlyRevenue,PartnerID,PartnerName\n"
)

GOOD = HEADER + (
    "C001,Contoso Ltd,https://www.Contoso.co.uk/about,120,Retail,Fashion,London,,EC1,GB,no,0,P1,Northwind Partners\n"
    "C002,Fabrikam Inc,fabrikam.com,12,Legal,Law firms,Austin,TX,78701,US,no,1500,P1,Northwind Partners\n"
    'C003,"Tailspin Toys, Inc.",tailspin.de,450,Manufacturing,,Berlin,,10115,DE,yes,,P1,Northwind Partners\n'
)
