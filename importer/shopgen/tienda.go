package shopgen

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Tienda is Tienda Aurora, the example workspace's skincare shop in Lima: its Shopify catalog in
// soles (and in dollars and euros for the few who buy from abroad), IGV included in its prices,
// customers mostly in Peru, some in the United States, a few in Spain.
func Tienda(seed uint64, start time.Time, months, customers int) *Shop {
	lima, err := time.LoadLocation("America/Lima")
	if err != nil {
		panic(err) // the Go time zone database is embedded where it is missing
	}
	return &Shop{
		Seed: seed, Start: start, Months: months, Location: lima, Currency: "PEN",
		Customers: customers, Subscribers: customers / 10,
		Catalog: tiendaCatalog, Regions: tiendaRegions(),
		FirstOrder: 1001, ExcelFlavour: true,
		TaxName: "IGV 18%", TaxPercent: 18, Staff: "Rosa Quispe",
	}
}

func prices(pen, usd, eur int64) map[string]int64 {
	return map[string]int64{"PEN": pen, "USD": usd, "EUR": eur}
}

var tiendaCatalog = []Product{
	{SKU: "SER-VITC-30", Name: "Sérum Vitamina C 30 ml", Vendor: "Tienda Aurora", Prices: prices(8990, 2490, 2290), Weight: 22, Days: 45},
	{SKU: "SER-CICA-30", Name: "Sérum calmante de centella 30 ml", Vendor: "Tienda Aurora", Prices: prices(9990, 2690, 2490), Weight: 8, Days: 45},
	{SKU: "SER-NIAC-30", Name: "Sérum niacinamida 10% 30 ml", Vendor: "Tienda Aurora", Prices: prices(7990, 2190, 1990), Weight: 12, Days: 45},
	{SKU: "SER-HIAL-30", Name: "Sérum ácido hialurónico 30 ml", Vendor: "Tienda Aurora", Prices: prices(8490, 2350, 2150), Weight: 10, Days: 40},
	{SKU: "SPF-FLUID-50", Name: "Fluido solar FPS 50", Vendor: "Tienda Aurora", Prices: prices(6990, 1850, 1790), Weight: 14, Days: 35},
	{SKU: "SPF-COLOR-50", Name: "Protector solar con color FPS 50", Vendor: "Tienda Aurora", Prices: prices(5990, 1690, 1590), Weight: 10, Days: 35},
	{SKU: "LIM-MICEL-200", Name: "Agua micelar 200 ml", Vendor: "Tienda Aurora", Prices: prices(3990, 1450, 1290), Weight: 12, Days: 30},
	{SKU: "LIM-GEL-200", Name: "Gel limpiador 200 ml", Vendor: "Tienda Aurora", Prices: prices(5990, 1650, 1490), Weight: 9, Days: 40},
	{SKU: "HID-CREMA-50", Name: "Crema hidratante 50 ml", Vendor: "Tienda Aurora", Prices: prices(6990, 1990, 1790), Weight: 9, Days: 50},
	{SKU: "HID-GEL-50", Name: "Gel hidratante ligero 50 ml", Vendor: "Tienda Aurora", Prices: prices(6490, 1850, 1690), Weight: 7, Days: 45},
	{SKU: "CON-OJOS-15", Name: "Contorno de ojos 15 ml", Vendor: "Tienda Aurora", Prices: prices(5490, 1590, 1490), Weight: 5, Days: 60},
	{SKU: "SET-RUTINA", Name: "Set Rutina Completa", Vendor: "Tienda Aurora", Prices: prices(28900, 7900, 7400), Weight: 3, Days: 75},
}

// zip makes a postal code: a fixed start and random digits.
func zip(prefix string, digits int) func(*rand.Rand) string {
	return func(r *rand.Rand) string {
		s := prefix
		for len(s) < digits {
			s += fmt.Sprint(r.IntN(10))
		}
		return s
	}
}

func tiendaRegions() []Region {
	return []Region{
		{
			Country: "PE", CountryName: "Peru", Currency: "PEN", Weight: 89, PhoneCode: "+51", Phone: "9dd ddd ddd",
			Shipping: 1000, FreeOver: 15000,
			Provinces: []Province{
				{Code: "LIM", Name: "Lima", Cities: []string{"Miraflores", "San Isidro", "Santiago de Surco", "Barranco", "San Borja", "Jesús María", "Lince", "La Molina"}, Zip: zip("150", 5)},
				{Code: "ARE", Name: "Arequipa", Cities: []string{"Arequipa", "Cayma", "Yanahuara"}, Zip: zip("040", 5)},
				{Code: "CUS", Name: "Cusco", Cities: []string{"Cusco", "Wanchaq"}, Zip: zip("080", 5)},
				{Code: "LAL", Name: "La Libertad", Cities: []string{"Trujillo", "Víctor Larco Herrera"}, Zip: zip("130", 5)},
				{Code: "PIU", Name: "Piura", Cities: []string{"Piura", "Castilla"}, Zip: zip("200", 5)},
			},
			FirstNames: []string{"Lucía", "María", "Carmen", "Rosa", "Ana", "Sofía", "Valeria", "Camila", "Daniela", "Gabriela", "Andrea",
				"Patricia", "Fiorella", "Milagros", "Karina", "Jimena", "Alejandra", "Verónica", "Claudia", "Mariana", "Diana", "Paola",
				"Natalia", "Fernanda", "Luciana", "Ximena", "Renata", "Antonella", "Brenda", "Katherine", "Stephanie", "Melissa", "Lorena",
				"Elena", "Teresa", "Silvia", "Gisela", "Roxana", "Pamela", "Cinthia", "Nadia", "Estefanía", "Luis", "Carlos", "Jorge", "José",
				"Diego", "Miguel", "Sebastián", "Rodrigo", "Renzo", "Gonzalo", "Martín", "Andrés"},
			LastNames: []string{"Quispe", "Flores", "Rojas", "Huamán", "García", "Mendoza", "Torres", "Ramírez", "Castillo", "Chávez",
				"Vásquez", "Gutiérrez", "Sánchez", "Díaz", "Paredes", "Cárdenas", "Salazar", "Benavides", "Delgado", "Zapata", "Ríos",
				"Villanueva", "Aguilar", "Cornejo", "Palacios", "Mamani", "Espinoza", "Vargas", "Reyes", "Alvarado", "Ponce", "Tello",
				"Medina", "Rivera", "Herrera", "Campos", "Soto", "Vega", "Núñez", "Cabrera", "Saavedra", "Ortiz", "Lozano", "Yupanqui",
				"Condori", "Ticona", "Valdivia", "Zevallos", "Pacheco", "Olivares"},
			Streets: []string{"Av. José Larco", "Av. Benavides", "Calle Schell", "Av. Javier Prado Este", "Av. Arequipa", "Jr. Cusco", "Av. Pardo", "Calle Berlín"},
		},
		{
			Country: "US", CountryName: "United States", Currency: "USD", Weight: 9, PhoneCode: "+1", Phone: "dd5-555-01dd",
			Shipping: 1800,
			Provinces: []Province{
				{Code: "NY", Name: "New York", Cities: []string{"New York", "Brooklyn"}, Zip: zip("100", 5)},
				{Code: "FL", Name: "Florida", Cities: []string{"Miami", "Orlando"}, Zip: zip("331", 5)},
				{Code: "NJ", Name: "New Jersey", Cities: []string{"Newark", "Jersey City"}, Zip: zip("073", 5)},
				{Code: "CA", Name: "California", Cities: []string{"Los Angeles", "San Diego"}, Zip: zip("900", 5)},
			},
			FirstNames: []string{"Emily", "Sarah", "Ashley", "Jessica", "Megan", "Lauren", "Olivia", "Brittany", "Hannah", "Rachel", "Amanda",
				"Nicole", "Samantha", "Kayla", "Grace", "Michael", "Daniel", "Tyler", "Kevin", "Ryan"},
			LastNames: []string{"Carter", "Miller", "Turner", "Davis", "Anderson", "Taylor", "Brown", "Wilson", "Brooks", "Moore", "Clark",
				"Johnson", "Lee", "Walker", "Hall", "Young", "King", "Wright", "Lopez", "Hill", "Green", "Baker"},
			Streets: []string{"Main Street", "Park Avenue", "Ocean Drive", "Maple Street", "Broadway"},
		},
		{
			Country: "ES", CountryName: "Spain", Currency: "EUR", Weight: 2, PhoneCode: "+34", Phone: "6dd ddd ddd",
			Shipping: 2000,
			Provinces: []Province{
				{Code: "M", Name: "Madrid", Cities: []string{"Madrid"}, Zip: zip("280", 5)},
				{Code: "B", Name: "Barcelona", Cities: []string{"Barcelona"}, Zip: zip("080", 5)},
			},
			FirstNames: []string{"Lucía", "Marta", "Elena", "Paula", "Irene", "Javier", "Pablo"},
			LastNames:  []string{"Fernández", "López", "Martín", "Ruiz", "Navarro", "Moreno"},
			Streets:    []string{"Calle de Alcalá", "Carrer de Mallorca", "Calle Mayor", "Gran Via"},
		},
	}
}
