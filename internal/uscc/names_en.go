package uscc

// authoritiesEn are the English names of the GB 32100 registration
// authorities (position 1) and entity types (position 2), for the
// English pages: the same table as authorities.
var authoritiesEn = map[byte]authority{
	'1': {"Institutional establishment", map[byte]string{'1': "Government body", '2': "Public institution", '3': "Mass organisation", '9': "Other"}},
	'2': {"Foreign affairs", map[byte]string{'1': "Resident foreign news agency", '9': "Other"}},
	'3': {"Judicial administration", map[byte]string{'1': "Law firm", '2': "Notary office", '3': "Grassroots legal service office", '4': "Forensic institution", '5': "Arbitration commission", '9': "Other"}},
	'4': {"Culture", map[byte]string{'1': "Foreign cultural centre in China", '9': "Other"}},
	'5': {"Civil affairs", map[byte]string{'1': "Social organisation", '2': "Private non-enterprise unit", '3': "Foundation", '9': "Other"}},
	'6': {"Tourism", map[byte]string{'1': "Resident office of a foreign tourism authority", '2': "Resident office of a Hong Kong, Macao or Taiwan tourism authority", '9': "Other"}},
	'7': {"Religious affairs", map[byte]string{'1': "Place of religious activity", '2': "Religious college", '9': "Other"}},
	'8': {"Trade unions", map[byte]string{'1': "Grassroots trade union", '9': "Other"}},
	'9': {"Market regulation (industry and commerce)", map[byte]string{'1': "Enterprise", '2': "Individual business", '3': "Farmers' specialised cooperative"}},
	'A': {"Central Military Commission reform and establishment office", map[byte]string{'1': "Military public institution", '9': "Other"}},
	'N': {"Agriculture", map[byte]string{'1': "Village group", '2': "Village", '3': "Township", '9': "Other"}},
	'Y': {"Other", map[byte]string{'1': "Other"}},
}

// AuthorityNameEn is AuthorityName in English.
func AuthorityNameEn(a byte) string { return authoritiesEn[a].name }

// EntityTypeNameEn is EntityTypeName in English.
func EntityTypeNameEn(a, t byte) string { return authoritiesEn[a].types[t] }
