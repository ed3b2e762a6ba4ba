/**
 * Given names and family names for demo contacts, from many cultures so the data looks like a
 * real international guest list (and exercises accents in search). The two lists share no name,
 * so an email built from a (first, last) pair identifies the pair.
 */
export const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Elijah', 'Sophia', 'James', 'Isabella', 'Benjamin',
  'Mia', 'Lucas', 'Charlotte', 'Henry', 'Amelia', 'Theodore', 'Harper', 'Jack', 'Evelyn', 'Samuel',
  'Sofía', 'Mateo', 'Valentina', 'Santiago', 'Camila', 'Diego', 'Lucía', 'Javier', 'Ximena', 'Alejandro',
  'Wei', 'Mei', 'Hiroshi', 'Yuki', 'Haruto', 'Sakura', 'Min-jun', 'Seo-yeon', 'Ji-ho', 'Linh',
  'Minh', 'Thanh', 'Priya', 'Arjun', 'Ananya', 'Rohan', 'Aisha', 'Vikram', 'Deepika', 'Sanjay',
  'Fatima', 'Omar', 'Layla', 'Youssef', 'Noor', 'Karim', 'Amara', 'Chinedu', 'Ngozi', 'Kwame',
  'Abena', 'Tendai', 'Zanele', 'Thabo', 'Kofi', 'Adaeze', 'Lars', 'Ingrid', 'Sven', 'Astrid',
  'Björn', 'Freya', 'Matteo', 'Giulia', 'Lorenzo', 'Chiara', 'François', 'Amélie', 'Étienne', 'Chloé',
  'Jürgen', 'Lena', 'Felix', 'Hannah', 'Mateusz', 'Zofia', 'Katarzyna', 'Dmitri', 'Anastasia', 'Nikolai',
  'Siobhán', 'Ciarán', 'Aoife', 'Declan', 'Nia', 'Malik', 'Imani', 'Tariq', 'Leilani', 'Kai',
  'Rafael', 'Beatriz', 'João', 'Inês', 'Emre', 'Elif', 'Can', 'Zeynep', 'Ravi', 'Meera',
  'Grace', 'Daniel', 'Hazel', 'Ethan', 'Zoe', 'Nathan', 'Ruby', 'Oscar', 'Ivy', 'Leo',
] as const;

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Thomas',
  'Moore', 'Jackson', 'Martin', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Robinson', 'Walker',
  'García', 'Rodríguez', 'Martínez', 'Hernández', 'López', 'González', 'Pérez', 'Sánchez', 'Ramírez', 'Torres',
  'Chen', 'Wang', 'Li', 'Zhang', 'Liu', 'Tanaka', 'Suzuki', 'Watanabe', 'Kim', 'Park',
  'Choi', 'Nguyễn', 'Trần', 'Phạm', 'Patel', 'Sharma', 'Gupta', 'Iyer', 'Reddy', 'Kapoor',
  'Haddad', 'Khalil', 'Mansour', 'Rahman', 'Hussain', 'Okafor', 'Adeyemi', 'Mensah', 'Boateng', 'Dlamini',
  'Nkosi', 'Mwangi', 'Otieno', 'Abebe', 'Andersson', 'Johansson', 'Nilsson', 'Larsen', 'Hansen', 'Virtanen',
  'Rossi', 'Russo', 'Bianchi', 'Romano', 'Dubois', 'Lefèvre', 'Moreau', 'Girard', 'Müller', 'Schmidt',
  'Schneider', 'Fischer', 'Weber', 'Kowalski', 'Nowak', 'Wiśniewska', 'Ivanov', 'Petrova', 'Volkov', "O'Brien",
  'Murphy', 'Kelly', 'Byrne', 'MacLeod', 'Campbell', 'Silva', 'Santos', 'Oliveira', 'Costa', 'Pereira',
  'Yılmaz', 'Kaya', 'Demir', 'Öztürk', 'Cohen', 'Levi', 'Friedman', 'Kaur', 'Singh', 'Mahlangu',
  'Kealoha', 'Tupou', 'Fonoti', 'Okonkwo', 'Eze', 'Van der Berg', 'De Vries', 'Jansen', 'Bakker', 'Visser',
] as const;

/** Email-safe form of a name: accents dropped, letters and digits only, lower case. */
export function asciiFold(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ı/g, 'i')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}
